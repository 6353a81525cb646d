//! A TCP proxy on loopback that cuts connections: the bad network of a construction site,
//! reproducible in a test.
//!
//! Every connection is forwarded to the target; once `cut_after` bytes have gone from client
//! to server in total (across connections), the proxy closes the connection mid-stream, and
//! refuses to forward more until [`CuttingProxy::heal`]. It counts the bytes it forwarded each
//! way, so a test can tell how much a retry re-sent.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
struct Counters {
    up: AtomicU64,
    down: AtomicU64,
    cut_after: AtomicU64,
    broken: AtomicBool,
}

/// See the module docs.
#[derive(Debug)]
pub struct CuttingProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl CuttingProxy {
    /// Starts a proxy to `target` that cuts after `cut_after` bytes upstream (`u64::MAX`: never).
    pub async fn start(target: SocketAddr, cut_after: u64) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        counters.cut_after.store(cut_after, Ordering::SeqCst);
        let shared = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let counters = shared.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(target).await {
                        forward(client, server, counters).await;
                    }
                });
            }
        });
        Ok(Self {
            addr,
            counters,
            task,
        })
    }

    /// The URL clients use.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Bytes forwarded client → server so far.
    pub fn bytes_up(&self) -> u64 {
        self.counters.up.load(Ordering::SeqCst)
    }

    /// Bytes forwarded server → client so far.
    pub fn bytes_down(&self) -> u64 {
        self.counters.down.load(Ordering::SeqCst)
    }

    /// Whether the proxy has cut.
    pub fn has_cut(&self) -> bool {
        self.counters.broken.load(Ordering::SeqCst)
    }

    /// Lets traffic through again, with no further cut, and resets the counters.
    pub fn heal(&self) {
        self.counters.cut_after.store(u64::MAX, Ordering::SeqCst);
        self.counters.up.store(0, Ordering::SeqCst);
        self.counters.down.store(0, Ordering::SeqCst);
        self.counters.broken.store(false, Ordering::SeqCst);
    }
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(client: TcpStream, server: TcpStream, counters: Arc<Counters>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up_counters = counters.clone();
    let up = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if up_counters.broken.load(Ordering::SeqCst) {
                return;
            }
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let before = up_counters.up.fetch_add(n as u64, Ordering::SeqCst);
            let limit = up_counters.cut_after.load(Ordering::SeqCst);
            let allowed = limit.saturating_sub(before).min(n as u64) as usize;
            if allowed > 0 && server_write.write_all(&buf[..allowed]).await.is_err() {
                return;
            }
            if allowed < n {
                up_counters.broken.store(true, Ordering::SeqCst);
                return;
            }
        }
    };
    let down_counters = counters;
    let down = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            if down_counters.broken.load(Ordering::SeqCst) {
                return;
            }
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            down_counters.down.fetch_add(n as u64, Ordering::SeqCst);
            if client_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    // When either direction ends (a cut included), both sockets close.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}
