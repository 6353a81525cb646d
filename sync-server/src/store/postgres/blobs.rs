//! Which evidence blobs have arrived (the bytes live in the blob store).

use async_trait::async_trait;
use plumbline_shared::ids::{BlobHash, ProjectId};
use plumbline_shared::time::Timestamp;

use super::{PostgresStore, RowExt, execute, query, query_opt};
use crate::store::{BlobRowStore, StoreResult};

#[async_trait]
impl BlobRowStore for PostgresStore {
    async fn record_blob(
        &self,
        hash: &BlobHash,
        bytes: u64,
        content_type: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let client = self.conn().await?;
        execute(
            &client,
            "INSERT INTO blobs (hash, bytes, content_type, stored_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (hash) DO NOTHING",
            // As the SQLite backend stores it (a size never comes near i64::MAX).
            &[&hash.as_str(), &(bytes as i64), &content_type, &now.0],
        )
        .await?;
        Ok(())
    }

    async fn blob_exists(&self, hash: &BlobHash) -> StoreResult<bool> {
        let client = self.conn().await?;
        let row = query_opt(
            &client,
            "SELECT 1 FROM blobs WHERE hash = $1",
            &[&hash.as_str()],
        )
        .await?;
        Ok(row.is_some())
    }

    /// Sorted, as SQLite's `UNION` leaves them (PostgreSQL's may come in any order).
    async fn blob_projects(&self, hash: &BlobHash) -> StoreResult<Vec<ProjectId>> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT project_id FROM evidence_refs WHERE hash = $1
             UNION SELECT project_id FROM evidence_refs WHERE thumb_hash = $1
             UNION SELECT project_id FROM signed_walks WHERE signature_hash = $1
             ORDER BY 1",
            &[&hash.as_str()],
        )
        .await?;
        rows.iter().map(|r| r.parsed(0, "project id")).collect()
    }
}
