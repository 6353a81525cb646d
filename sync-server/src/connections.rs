//! Accepting connections under attack: a cap on open connections (in all and per address), a
//! deadline for a request's headers, and the peer's address on every request.
//!
//! `axum::serve` accepts every connection and waits for headers as long as the client likes:
//! 200 connections trickling a byte every few seconds stay open for minutes, and a thousand
//! exhaust the process's file descriptors so that nobody, `/healthz` included, is answered.
//! Here hyper's own header-read timeout closes a connection whose headers do not arrive in
//! time, and a connection over either cap is closed at once (the client sees a reset and
//! retries later; phones back off by themselves). Each request carries the peer's
//! [`ConnectInfo`] and the client's address ([`ClientIp`]: the peer, or behind a trusted
//! reverse proxy the address it forwarded, see [`crate::forwarded`]), which the sign-in and
//! enrollment limits key on.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::ConnectionLimits;
use crate::forwarded::{ClientIp, client_ip};

/// Open connections per peer address, released when a connection ends.
#[derive(Debug, Default)]
struct PerAddress {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in [`PerAddress`]; gives it back when dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(table: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<AddressSlot> {
        let mut open = table.open.lock().expect("connection table poisoned");
        let n = open.entry(ip).or_default();
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: Arc::clone(table),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.table.open.lock().expect("connection table poisoned");
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves; connections in flight
/// then get `grace` to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let total = Arc::new(Semaphore::new(limits.max_connections));
    let trusted: Arc<[IpAddr]> = limits.trusted_proxies.clone().into();
    let per_address = Arc::new(PerAddress::default());
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs))
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, most often: wait for some to close rather than
                    // spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&total).try_acquire_owned() else {
            metrics::counter!("plumbline_connections_refused_total", "why" => "total").increment(1);
            tracing::debug!(%peer, "refused a connection: too many open");
            continue;
        };
        let Some(slot) = PerAddress::take(&per_address, peer.ip(), limits.max_per_address) else {
            metrics::counter!("plumbline_connections_refused_total", "why" => "address")
                .increment(1);
            tracing::debug!(%peer, "refused a connection: too many from its address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let trusted = Arc::clone(&trusted);
        let app = app
            .clone()
            .map_request(move |mut req: axum::extract::Request<_>| {
                let client = client_ip(peer.ip(), req.headers(), &trusted);
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req.extensions_mut().insert(ClientIp(client));
                req
            });
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(app))
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "a connection ended with an error");
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("connections still open after 30 s of shutting down; closing them");
        }
    }
    Ok(())
}
