//! Documents: their changes, heads and compaction, and the projection written with them.
//!
//! Why a writer locks a document's row before storing its changes. Changes get their storage
//! position (`seq`) from one sequence. [`DocStore::compact_doc`] folds the changes up to a
//! position into a snapshot and deletes them, trusting that every change with a lower position
//! was visible to the load that made the snapshot. With concurrent transactions a sequence
//! alone does not give that: a transaction can draw position 10, another draw 11 and commit, a
//! load see 11 but not 10, and the compaction then delete 10 though the snapshot lacks it. So
//! every transaction that stores changes of a document first locks the document's row and draws
//! positions only while holding it; the next writer of that document waits for the commit, and
//! draws higher positions. Positions of one document are then visible in their order: whatever a
//! load did not see is above its `last_seq` and survives the compaction.
//!
//! A batch locks its documents in `doc_id` order, so two batches sharing documents queue
//! instead of deadlocking; `compact_doc` takes the same lock.

use std::collections::BTreeMap;

use async_trait::async_trait;
use automerge::ChangeHash;
use plumbline_shared::api::HeadsDigest;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::ProjectId;
use plumbline_shared::projection::UnitProjection;

use super::counters::{lock_counters, take_number};
use super::projection::{PROJECTION_TABLES, insert_projection};
use super::{
    Param, PostgresStore, RowExt, bytes_to_hashes, execute, execute_all, hashes_to_bytes, query,
    query_opt, read_only,
};
use crate::store::{DocStore, DocSummary, DocWrite, StoreError, StoreResult, StoredDoc};

#[async_trait]
impl DocStore for PostgresStore {
    async fn load_doc(&self, doc: &DocId) -> StoreResult<Option<StoredDoc>> {
        let id = doc.to_string();
        let mut client = self.conn().await?;
        // One snapshot for the row and the changes: a compaction committing in between would
        // otherwise pair the old snapshot with the changes left after it.
        let tx = read_only(&mut client).await?;
        let Some(row) = query_opt(
            &tx,
            "SELECT project_id, snapshot, snapshot_changes FROM docs WHERE doc_id = $1",
            &[&id],
        )
        .await?
        else {
            return Ok(None);
        };
        let folded: i64 = row.value(2)?;
        let rows = query(
            &tx,
            "SELECT seq, bytes FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq",
            &[&id, &folded],
        )
        .await?;
        tx.commit().await?;
        let mut last_seq = folded;
        let mut changes = Vec::with_capacity(rows.len());
        for r in &rows {
            last_seq = r.value(0)?;
            changes.push(r.value(1)?);
        }
        Ok(Some(StoredDoc {
            project: row.parsed(0, "project id")?,
            snapshot: row.value(1)?,
            changes,
            last_seq,
        }))
    }

    async fn doc_summaries(&self, projects: &[ProjectId]) -> StoreResult<Vec<DocSummary>> {
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let mut out = Vec::new();
        for p in projects {
            let rows = query(
                &tx,
                "SELECT doc_id, heads_digest FROM docs WHERE project_id = $1 ORDER BY doc_id",
                &[&p.as_str()],
            )
            .await?;
            for r in &rows {
                let digest: String = r.value(1)?;
                out.push(DocSummary {
                    doc: r.parsed(0, "document id")?,
                    heads: HeadsDigest::try_from(digest)
                        .map_err(|e| anyhow::anyhow!("stored heads digest: {e}"))?,
                });
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn doc_heads(&self, doc: &DocId) -> StoreResult<Option<Vec<ChangeHash>>> {
        let id = doc.to_string();
        let client = self.conn().await?;
        let row = query_opt(&client, "SELECT heads FROM docs WHERE doc_id = $1", &[&id]).await?;
        row.map(|r| bytes_to_hashes(r.value(0)?)).transpose()
    }

    async fn all_docs(&self) -> StoreResult<Vec<DocId>> {
        let client = self.conn().await?;
        let rows = query(&client, "SELECT doc_id FROM docs ORDER BY doc_id", &[]).await?;
        rows.iter().map(|r| r.parsed(0, "document id")).collect()
    }

    /// One transaction for the whole batch: lock (and write the heads of) every document in
    /// `doc_id` order, lock the counters it claims from, then store each write in order as the
    /// SQLite backend does (changes, projection, claims, contacts). A claim of a taken number
    /// returns [`crate::store::StoreError::NumberTaken`] and the transaction rolls back whole.
    async fn write_docs(&self, writes: Vec<DocWrite>) -> StoreResult<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let now = self.clock.now().0;
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        lock_docs(&tx, &writes, now).await?;
        lock_counters(&tx, &writes).await?;
        let insert_change = tx
            .prepare_cached(
                "INSERT INTO changes (doc_id, hash, device_id, bytes, stored_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (doc_id, hash) DO NOTHING",
            )
            .await?;
        for w in &writes {
            let id = w.doc.to_string();
            let device = w.device.as_ref().map(|d| d.as_str());
            let hashes: Vec<&[u8]> = w.changes.iter().map(|c| &c.hash.0[..]).collect();
            let rows = w
                .changes
                .iter()
                .zip(&hashes)
                .map(|(c, hash)| -> Vec<Param<'_>> { vec![&id, hash, &device, &c.bytes, &now] })
                .collect();
            execute_all(&tx, &insert_change, rows).await?;
            if let Some(p) = &w.projection {
                insert_projection(&tx, p, now).await?;
            }
            for claim in &w.claims {
                take_number(&tx, claim).await?;
            }
            for c in &w.contacts {
                execute(
                    &tx,
                    "INSERT INTO owner_contacts (finding_id, project_id, unit_id, name, phone,
                        recorded_at, masked_in_doc) VALUES ($1, $2, $3, $4, $5, $6, TRUE)
                     ON CONFLICT (finding_id) DO NOTHING",
                    &[
                        &c.finding.as_str(),
                        &c.project.as_str(),
                        &c.unit.as_str(),
                        &c.contact.name,
                        &c.contact.phone,
                        &c.recorded_at.0,
                    ],
                )
                .await?;
            }
        }
        // Heard by every replica following the feed, once this transaction commits.
        let announce = tx.prepare_cached("SELECT pg_notify($1, $2)").await?;
        let ids: Vec<String> = writes.iter().map(|w| w.doc.to_string()).collect();
        let channel = super::feed::CHANNEL;
        let rows = ids
            .iter()
            .map(|id| -> Vec<Param<'_>> { vec![&channel, id] })
            .collect();
        execute_all(&tx, &announce, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn docs_to_compact(&self, min_changes: usize) -> StoreResult<Vec<DocId>> {
        let min = i64::try_from(min_changes).unwrap_or(i64::MAX);
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT doc_id FROM changes GROUP BY doc_id HAVING COUNT(*) >= $1 ORDER BY doc_id",
            &[&min],
        )
        .await?;
        rows.iter().map(|r| r.parsed(0, "document id")).collect()
    }

    /// Takes the document's lock (see the module docs: the `UPDATE` locks its row, and waits
    /// for a writer holding it), and never moves the snapshot back, as the SQLite backend: a
    /// compaction from a load older than the last compaction's (another replica's, or one that
    /// waited) would put back a snapshot missing changes that one deleted, so it changes
    /// nothing. The `UPDATE`'s condition is checked on the row as the lock leaves it.
    async fn compact_doc(&self, doc: &DocId, snapshot: Vec<u8>, up_to_seq: i64) -> StoreResult<()> {
        let id = doc.to_string();
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let newer = execute(
            &tx,
            "UPDATE docs SET snapshot = $2, snapshot_changes = $3
             WHERE doc_id = $1 AND snapshot_changes < $3",
            &[&id, &snapshot, &up_to_seq],
        )
        .await?;
        if newer == 0 {
            return Ok(());
        }
        execute(
            &tx,
            "DELETE FROM changes WHERE doc_id = $1 AND seq <= $2",
            &[&id, &up_to_seq],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Locks the projection's tables against writers for the transaction (readers go on
    /// reading the old rows until the commit): a unit projected by a sync meanwhile would
    /// otherwise interleave with the rebuild and collide with its rows.
    async fn replace_all_projections(&self, projections: Vec<UnitProjection>) -> StoreResult<()> {
        let now = self.clock.now().0;
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        tx.batch_execute(&format!(
            "LOCK TABLE {} IN EXCLUSIVE MODE",
            PROJECTION_TABLES.join(", ")
        ))
        .await?;
        for table in PROJECTION_TABLES {
            tx.batch_execute(&format!("DELETE FROM {table}")).await?;
        }
        // Every project's rows changed, also a project none of whose units is projected
        // again: its kept report rows must go (see the `projection_versions` migration).
        tx.batch_execute("UPDATE projection_versions SET version = version + 1")
            .await?;
        for p in &projections {
            insert_projection(&tx, p, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Locks every document of the batch by writing its row, in `doc_id` order: inserted with the
/// project of its first write, or updated; either way the heads become those of its last write
/// (what the SQLite backend's write-by-write upserts leave). The row stays locked to the commit.
async fn lock_docs(
    tx: &deadpool_postgres::Transaction<'_>,
    writes: &[DocWrite],
    now: i64,
) -> StoreResult<()> {
    /// Per document: its first write (project, base) and its last write's heads.
    struct Locked<'w> {
        first: &'w DocWrite,
        heads: &'w [ChangeHash],
    }
    let mut docs: BTreeMap<String, Locked<'_>> = BTreeMap::new();
    for w in writes {
        docs.entry(w.doc.to_string())
            .and_modify(|locked| locked.heads = &w.heads)
            .or_insert(Locked {
                first: w,
                heads: &w.heads,
            });
    }
    // With a base, the update happens only on the heads it was made on; the conflicting row is
    // locked either way (PostgreSQL's `ON CONFLICT DO UPDATE … WHERE`), and its heads are those
    // of the last committed writer. No row touched: another writer came first.
    let upsert = tx
        .prepare_cached(
            "INSERT INTO docs (doc_id, project_id, heads, heads_digest, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads,
                heads_digest = excluded.heads_digest, updated_at = excluded.updated_at
             WHERE $6::bytea IS NULL OR docs.heads = $6::bytea",
        )
        .await?;
    for (id, locked) in &docs {
        let base = locked.first.base.as_deref().map(hashes_to_bytes);
        let touched = tx
            .execute(
                &upsert,
                &[
                    id,
                    &locked.first.project.as_str(),
                    &hashes_to_bytes(locked.heads),
                    &String::from(HeadsDigest::of_heads(locked.heads)),
                    &now,
                    &base,
                ],
            )
            .await?;
        if touched == 0 {
            return Err(StoreError::Stale {
                doc: locked.first.doc.clone(),
            });
        }
    }
    Ok(())
}
