//! A TCP proxy on loopback that plays the bad network of a construction site, reproducibly in
//! a test: a slow uplink, and connections cut at chosen points.
//!
//! Every connection is forwarded to the target. The proxy counts what it forwarded each way,
//! so a test can tell how much a retry re-sent, and it reads the head of each HTTP request
//! going up, so it can tell photo uploads (`PUT /blobs/…`) from the rest.
//!
//! A [`Link`] says how the network behaves:
//! - `uplink_bytes_per_sec`: client → server bytes are paced to this rate (a phone's uplink on
//!   4G is the bottleneck of a photo upload; the downlink is left fast);
//! - `cuts`: positions in the client → server byte stream (counted from the start, across
//!   connections) where the network drops: the connection carrying that byte is closed
//!   mid-stream, every other open connection with it, and for `outage` no new connection gets
//!   through (`None`: until [`CuttingProxy::heal`]).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// How the proxied network behaves. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct Link {
    /// Client → server bytes per second (`None`: as fast as loopback).
    pub uplink_bytes_per_sec: Option<u64>,
    /// Upstream byte positions where the network drops, in increasing order.
    pub cuts: Vec<u64>,
    /// How long the network stays down after a cut (`None`: until healed).
    pub outage: Option<Duration>,
}

/// The network's settings and where it is between cuts.
#[derive(Debug)]
struct Network {
    /// See [`Link::uplink_bytes_per_sec`].
    uplink_bytes_per_sec: Option<u64>,
    /// See [`Link::outage`].
    outage: Option<Duration>,
    /// Cuts still to come.
    cuts: VecDeque<u64>,
    /// Down since a cut: until this instant, or until healed (`Some(None)`).
    down: Option<Option<Instant>>,
    /// When the uplink is free to send the next byte (pacing).
    uplink_free_at: Instant,
}

impl Network {
    fn new(link: Link) -> Self {
        Self {
            uplink_bytes_per_sec: link.uplink_bytes_per_sec,
            outage: link.outage,
            cuts: link.cuts.into(),
            down: None,
            uplink_free_at: Instant::now(),
        }
    }
}

#[derive(Debug)]
struct Shared {
    up: AtomicU64,
    down: AtomicU64,
    upload_bytes: AtomicU64,
    upload_requests: AtomicU64,
    /// The request lines of photo uploads whose whole body went through, in order.
    uploads_through: Mutex<Vec<String>>,
    cuts_done: AtomicU64,
    network: Mutex<Network>,
    /// Bumped at every cut: each connection closes when it changes.
    cut_epoch: watch::Sender<u64>,
}

impl Shared {
    fn network(&self) -> std::sync::MutexGuard<'_, Network> {
        self.network.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the network is down now (an outage that ended is over).
    fn is_down(&self) -> bool {
        let mut net = self.network();
        match net.down {
            Some(Some(until)) if Instant::now() >= until => {
                net.down = None;
                false
            }
            Some(_) => true,
            None => false,
        }
    }

    /// Takes `n` more bytes going up that started at byte `before`: how many of them get
    /// through before a cut (all `n` when no cut falls among them).
    fn pass_up(&self, before: u64, n: u64) -> u64 {
        let mut net = self.network();
        match net.cuts.front().copied() {
            Some(cut) if cut < before + n => {
                net.cuts.pop_front();
                net.down = Some(net.outage.map(|d| Instant::now() + d));
                drop(net);
                self.cuts_done.fetch_add(1, Ordering::SeqCst);
                self.cut_epoch.send_modify(|e| *e += 1);
                cut.saturating_sub(before)
            }
            _ => n,
        }
    }

    /// When `n` bytes may go up, at the link's pace.
    fn uplink_slot(&self, n: u64) -> Option<Instant> {
        let mut net = self.network();
        let rate = net.uplink_bytes_per_sec?;
        let start = net.uplink_free_at.max(Instant::now());
        let takes = Duration::from_secs_f64(n as f64 / rate.max(1) as f64);
        net.uplink_free_at = start + takes;
        Some(net.uplink_free_at)
    }
}

/// See the module docs.
#[derive(Debug)]
pub struct CuttingProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl CuttingProxy {
    /// Starts a proxy to `target` that cuts once after `cut_after` bytes upstream (`u64::MAX`:
    /// never) and stays down until healed.
    pub async fn start(target: SocketAddr, cut_after: u64) -> std::io::Result<Self> {
        let cuts = if cut_after == u64::MAX {
            Vec::new()
        } else {
            vec![cut_after]
        };
        Self::start_link(
            target,
            Link {
                cuts,
                ..Link::default()
            },
        )
        .await
    }

    /// Starts a proxy to `target` over a network that behaves as `link` says.
    pub async fn start_link(target: SocketAddr, link: Link) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            upload_bytes: AtomicU64::new(0),
            upload_requests: AtomicU64::new(0),
            uploads_through: Mutex::new(Vec::new()),
            cuts_done: AtomicU64::new(0),
            network: Mutex::new(Network::new(link)),
            cut_epoch: watch::channel(0).0,
        });
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                // Listening for cuts before looking at the network: a cut from now on closes
                // this connection too, even one that comes while it connects upstream.
                let cut = accepting.cut_epoch.subscribe();
                if accepting.is_down() {
                    // No network: the phone's connection attempt fails.
                    drop(client);
                    continue;
                }
                let shared = accepting.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        forward(client, server, shared, cut).await;
                    }
                });
            }
        });
        Ok(Self { addr, shared, task })
    }

    /// The URL clients use.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Bytes forwarded client → server so far (counting what a cut swallowed).
    pub fn bytes_up(&self) -> u64 {
        self.shared.up.load(Ordering::SeqCst)
    }

    /// Bytes forwarded server → client so far.
    pub fn bytes_down(&self) -> u64 {
        self.shared.down.load(Ordering::SeqCst)
    }

    /// Of [`Self::bytes_up`], the bytes of photo uploads (`PUT /blobs/…` requests, head and
    /// body, those cut short included).
    pub fn upload_bytes_up(&self) -> u64 {
        self.shared.upload_bytes.load(Ordering::SeqCst)
    }

    /// Photo upload requests (`PUT /blobs/…`) that started, those cut short included.
    pub fn upload_requests(&self) -> u64 {
        self.shared.upload_requests.load(Ordering::SeqCst)
    }

    /// The request lines (`PUT …/blobs/<hash>?offset=…&total=…`) of photo uploads whose whole
    /// body reached the server, in order: a chunk sent twice shows as a line twice.
    pub fn uploads_through(&self) -> Vec<String> {
        self.shared
            .uploads_through
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many cuts happened.
    pub fn cuts_done(&self) -> u64 {
        self.shared.cuts_done.load(Ordering::SeqCst)
    }

    /// Whether the network is down now.
    pub fn has_cut(&self) -> bool {
        self.shared.is_down()
    }

    /// Lets traffic through again, with no further cut, and resets the counters.
    pub fn heal(&self) {
        self.reconnect(Link::default());
    }

    /// The phone loses its signal: open connections drop and no new one gets through until
    /// [`Self::reconnect`] (or [`Self::heal`]).
    pub fn lose_signal(&self) {
        self.shared.network().down = Some(None);
        self.shared.cut_epoch.send_modify(|e| *e += 1);
    }

    /// The network comes back, behaving as `link` says from now on; the counters start again
    /// from zero (and `link`'s cut positions count from here).
    pub fn reconnect(&self, link: Link) {
        *self.shared.network() = Network::new(link);
        self.shared
            .uploads_through
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        for counter in [
            &self.shared.up,
            &self.shared.down,
            &self.shared.upload_bytes,
            &self.shared.upload_requests,
            &self.shared.cuts_done,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Follows the HTTP/1.1 requests of one connection going up, to count photo uploads: each
/// request is a head up to an empty line, then `Content-Length` bytes of body (the app's
/// client never sends chunked bodies).
#[derive(Debug, Default)]
struct RequestReader {
    head: Vec<u8>,
    body_left: u64,
    /// The request line of the photo upload under way.
    upload: Option<String>,
}

/// What a piece of the stream held of photo uploads.
#[derive(Debug, Default, PartialEq, Eq)]
struct Uploads {
    /// Bytes of upload requests, heads and bodies.
    bytes: u64,
    /// Upload requests that started.
    started: u64,
    /// The request lines of upload requests whose body ended.
    through: Vec<String>,
}

/// Longest request head the reader keeps; a longer one is not an HTTP request it follows.
const MAX_HEAD: usize = 16 * 1024;

impl RequestReader {
    /// Reads `bytes` going up: what of them belongs to photo uploads.
    fn read(&mut self, mut bytes: &[u8]) -> Uploads {
        let mut uploads = Uploads::default();
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let n = (bytes.len() as u64).min(self.body_left);
                self.body_left -= n;
                if self.upload.is_some() {
                    uploads.bytes += n;
                }
                if self.body_left == 0
                    && let Some(line) = self.upload.take()
                {
                    uploads.through.push(line);
                }
                bytes = &bytes[n as usize..];
                continue;
            }
            // In a head: up to the empty line that ends it.
            let before = self.head.len();
            self.head.extend_from_slice(bytes);
            let Some(end) = self.head.windows(4).position(|w| w == b"\r\n\r\n") else {
                self.head.truncate(MAX_HEAD);
                return uploads;
            };
            let head_len = end + 4;
            let used = head_len - before;
            let head = String::from_utf8_lossy(&self.head[..head_len]).into_owned();
            let request_line = head.lines().next().unwrap_or_default();
            let is_upload = request_line.starts_with("PUT ") && request_line.contains("/blobs/");
            self.upload = is_upload.then(|| request_line.to_owned());
            self.body_left = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length").then_some(value)
                })
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if is_upload {
                uploads.started += 1;
                uploads.bytes += head_len as u64;
                if self.body_left == 0
                    && let Some(line) = self.upload.take()
                {
                    uploads.through.push(line);
                }
            }
            self.head.clear();
            bytes = &bytes[used..];
        }
        uploads
    }
}

async fn forward(
    client: TcpStream,
    server: TcpStream,
    shared: Arc<Shared>,
    mut cut: watch::Receiver<u64>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up_shared = shared.clone();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        let mut requests = RequestReader::default();
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if let Some(at) = up_shared.uplink_slot(n as u64) {
                tokio::time::sleep_until(at).await;
            }
            let before = up_shared.up.fetch_add(n as u64, Ordering::SeqCst);
            let allowed = up_shared.pass_up(before, n as u64) as usize;
            // What went through, up to a cut: the bytes a cut swallowed never reach the
            // server, but they were sent, so they count as sent.
            let uploads = requests.read(&buf[..allowed]);
            let swallowed = requests.read(&buf[allowed..n]);
            up_shared
                .upload_bytes
                .fetch_add(uploads.bytes + swallowed.bytes, Ordering::SeqCst);
            up_shared
                .upload_requests
                .fetch_add(uploads.started + swallowed.started, Ordering::SeqCst);
            up_shared
                .uploads_through
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(uploads.through);
            if allowed > 0 && server_write.write_all(&buf[..allowed]).await.is_err() {
                return;
            }
            if allowed < n {
                return;
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            shared.down.fetch_add(n as u64, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // When either direction ends, or the network drops, both sockets close.
    tokio::select! {
        () = up => {}
        () = down => {}
        _ = cut.changed() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::RequestReader;

    #[test]
    fn the_request_reader_counts_photo_uploads_across_reads() {
        let mut r = RequestReader::default();
        let upload =
            b"PUT /api/v1/blobs/abc?offset=0&total=5 HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
        let sync = b"POST /api/v1/sync HTTP/1.1\r\nX-Note: /blobs/\r\nContent-Length: 3\r\n\r\nabc";
        let mut stream = Vec::new();
        stream.extend_from_slice(sync);
        stream.extend_from_slice(upload);
        stream.extend_from_slice(sync);
        // Fed in pieces that split heads and bodies.
        let (mut bytes, mut started, mut through) = (0, 0, Vec::new());
        for piece in stream.chunks(7) {
            let u = r.read(piece);
            bytes += u.bytes;
            started += u.started;
            through.extend(u.through);
        }
        assert_eq!((bytes, started), (upload.len() as u64, 1));
        assert_eq!(through, ["PUT /api/v1/blobs/abc?offset=0&total=5 HTTP/1.1"]);
    }
}
