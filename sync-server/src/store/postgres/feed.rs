//! [`ChangeFeed`] on PostgreSQL: `LISTEN`/`NOTIFY` on one channel.
//!
//! Every document write sends `NOTIFY plumbline_docs, '<doc id>'` in its own transaction
//! (`docs.rs`), which PostgreSQL delivers to every listener once, and only once the transaction
//! committed. A follower holds one connection of its own outside the pool, listening; the
//! stream ends when that connection does, and the caller follows again.

use async_trait::async_trait;
use futures::StreamExt;
use plumbline_shared::doc::DocId;
use tokio_postgres::{AsyncMessage, NoTls};

use super::PostgresStore;
use crate::store::{ChangeFeed, DocFeed, StoreError, StoreResult};

/// The channel every document write is announced on.
pub(super) const CHANNEL: &str = "plumbline_docs";

/// Notices a follower may hold unread before the connection's reading waits for it.
const BUFFERED: usize = 4096;

#[async_trait]
impl ChangeFeed for PostgresStore {
    async fn follow(&self) -> StoreResult<Option<DocFeed>> {
        let (client, mut connection) = self.config.connect(NoTls).await?;
        let (tx, rx) = tokio::sync::mpsc::channel::<StoreResult<DocId>>(BUFFERED);
        // The connection is driven here; its notices go to the stream.
        tokio::spawn(async move {
            let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                let notice = match message {
                    Ok(AsyncMessage::Notification(n)) if n.channel() == CHANNEL => {
                        n.payload().parse::<DocId>().map_err(|e| {
                            StoreError::Other(anyhow::anyhow!(
                                "a change notice names no document ({:?}): {e}",
                                n.payload()
                            ))
                        })
                    }
                    Ok(_) => continue,
                    Err(e) => Err(StoreError::from(e)),
                };
                let broken = notice.is_err();
                if tx.send(notice).await.is_err() || broken {
                    break;
                }
            }
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        // The client lives as long as the stream: dropping the stream closes the connection.
        let stream = futures::stream::unfold((rx, client), |(mut rx, client)| async move {
            let next = rx.recv().await?;
            Some((next, (rx, client)))
        });
        Ok(Some(stream.boxed()))
    }
}
