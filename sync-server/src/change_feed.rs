//! Hearing what other server replicas stored.
//!
//! Almost nothing a replica holds in memory needs this: documents are checked against the
//! heads in the database before every use (`crate::doc_cache`), and pages read the case records
//! from the database at every request, so a page on one replica shows what a phone synced to
//! another at its next load. What a replica does keep is each project's workflow settings
//! (`crate::project_settings`), read on every derivation: a settings page saved on replica 1
//! must reach replica 2 without a restart.
//!
//! So the store offers a feed of the documents written by anyone ([`ChangeFeed::follow`]):
//! PostgreSQL's `LISTEN`/`NOTIFY`, sent in the writing transaction and so delivered only once it
//! committed. SQLite has none: one process holds the file and learns its own writes as it makes
//! them. [`spawn`] follows the feed for as long as the server runs; after every (re)connection it
//! reads every project's settings again, since notices sent while it was away are lost.
//!
//! [`ChangeFeed::follow`]: crate::store::ChangeFeed::follow

use std::time::Duration;

use futures::StreamExt;
use plumbline_shared::doc::DocId;

use crate::state::AppState;

/// Longest pause before following the feed again after it broke.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Follows the store's change feed until the task is aborted; returns at once on a store that
/// has none.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(200);
        loop {
            let mut feed = match state.store.follow().await {
                Ok(Some(feed)) => feed,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not follow the other replicas' writes; trying again");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            };
            // Whatever was written while not listening.
            if let Err(e) = crate::settings_apply::load_all(&state).await {
                tracing::warn!(error = %e, "could not read the projects' workflow settings again");
            }
            while let Some(written) = feed.next().await {
                match written {
                    Ok(DocId::Project(project)) => {
                        if let Err(e) = crate::settings_apply::refresh(&state, &project).await {
                            tracing::warn!(%project, error = %e, "could not read a project's new workflow settings");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "the feed of other replicas' writes broke");
                        break;
                    }
                }
            }
            backoff = Duration::from_millis(200);
            tokio::time::sleep(backoff).await;
        }
    })
}
