//! The client's address behind a trusted reverse proxy.
//!
//! Behind nginx or a load balancer every connection comes from the proxy, so the per-address
//! sign-in and enrollment budgets would be one budget for everyone. A proxy the operator lists
//! in `connections.trusted_proxies` appends the address it received the request from to
//! `X-Forwarded-For`; the server then takes, from the right, the first address that is not
//! itself a trusted proxy. Entries further left were written by the client and prove nothing,
//! and the header is ignored altogether when the connection does not come from a trusted proxy
//! (anyone can send it).

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The address sign-in and enrollment limits count a request against (see the module docs),
/// put on the request by `crate::connections` and read by `crate::throttle::Peer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client's address for a request that came over a connection from `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    // A dual-stack listener sees an IPv4 proxy as `::ffff:127.0.0.1`.
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return peer;
    }
    let mut hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    hops.reverse();
    for hop in hops {
        // `1.2.3.4`, or with a port as some proxies write it: `1.2.3.4:5678`, `[::1]:5678`.
        let parsed = hop
            .parse::<IpAddr>()
            .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|a| a.ip()))
            .map(|ip| ip.to_canonical());
        match parsed {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return ip,
            // A hop we cannot read: the chain is broken here, and what is left of it is the
            // client's word. The nearest trustworthy address is the proxy's.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_for_the_hops_it_and_its_peers_added() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let inner: IpAddr = "10.0.0.3".parse().unwrap();
        let phone: IpAddr = "203.0.113.7".parse().unwrap();
        let trusted = [proxy, inner];
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        let cases: [(IpAddr, &[&str], IpAddr); 9] = [
            // A dual-stack listener's view of the IPv4 proxy; a hop with its port.
            (mapped, &["203.0.113.7"], phone),
            (proxy, &["203.0.113.7:51234"], phone),
            // Straight from the internet: the header is the client's invention.
            (phone, &["1.2.3.4"], phone),
            // Through the proxy.
            (proxy, &["203.0.113.7"], phone),
            // A forged left part is skipped: the proxy appended the real one.
            (proxy, &["1.2.3.4, 203.0.113.7"], phone),
            // Two proxies of ours, the header in two lines.
            (inner, &["1.2.3.4, 203.0.113.7", "10.0.0.2"], phone),
            // No header, or only our proxies: the proxy's address.
            (proxy, &[], proxy),
            (proxy, &["10.0.0.3"], proxy),
            // Garbage next to the proxy: the proxy's address, not the garbage's left.
            (proxy, &["1.2.3.4, not-an-address"], proxy),
        ];
        for (peer, values, expected) in cases {
            assert_eq!(
                client_ip(peer, &headers(values), &trusted),
                expected,
                "{peer} {values:?}"
            );
        }
    }
}
