//! What each device holds as far as the server knows, shared by every replica.
//!
//! A device's row in `devices` is locked while its position changes, so two replicas updating
//! one device's position (it synced with both at once) apply one after the other.

use async_trait::async_trait;
use plumbline_shared::api::HeadsDigest;
use plumbline_shared::doc::DocId;
use plumbline_shared::ids::DeviceId;

use super::{Param, PostgresStore, RowExt, execute, execute_all, query, query_opt, read_only};
use crate::store::{Position, PositionStore, StoreError, StoreResult};

/// Locks the device's row; whether its position is known (`None`: no such device).
async fn lock_device(
    tx: &deadpool_postgres::Transaction<'_>,
    device: &str,
) -> StoreResult<Option<bool>> {
    let row = query_opt(
        tx,
        "SELECT position_known FROM devices WHERE device_id = $1 FOR UPDATE",
        &[&device],
    )
    .await?;
    row.map(|r| r.value(0)).transpose()
}

#[async_trait]
impl PositionStore for PostgresStore {
    async fn device_position(&self, device: &DeviceId) -> StoreResult<Option<Position>> {
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let known = query_opt(
            &tx,
            "SELECT position_known FROM devices WHERE device_id = $1",
            &[&device.as_str()],
        )
        .await?
        .map(|r| r.value::<bool>(0))
        .transpose()?;
        if known != Some(true) {
            return Ok(None);
        }
        let rows = query(
            &tx,
            "SELECT doc_id, digest FROM device_positions WHERE device_id = $1",
            &[&device.as_str()],
        )
        .await?;
        tx.commit().await?;
        let mut position = Position::new();
        for r in &rows {
            let digest: String = r.value(1)?;
            let digest = HeadsDigest::try_from(digest)
                .map_err(|e| StoreError::Other(anyhow::anyhow!("stored position digest: {e}")))?;
            position.insert(r.parsed(0, "document id")?, digest);
        }
        Ok(Some(position))
    }

    async fn replace_device_position(
        &self,
        device: &DeviceId,
        position: &Position,
    ) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        if lock_device(&tx, device.as_str()).await?.is_none() {
            return Ok(());
        }
        execute(
            &tx,
            "DELETE FROM device_positions WHERE device_id = $1",
            &[&device.as_str()],
        )
        .await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO device_positions (device_id, doc_id, digest) VALUES ($1, $2, $3)",
            )
            .await?;
        let id = device.as_str();
        let rows: Vec<(String, String)> = position
            .iter()
            .map(|(doc, digest)| (doc.to_string(), String::from(*digest)))
            .collect();
        let params = rows
            .iter()
            .map(|(doc, digest)| -> Vec<Param<'_>> { vec![&id, doc, digest] })
            .collect();
        execute_all(&tx, &insert, params).await?;
        execute(
            &tx,
            "UPDATE devices SET position_known = TRUE WHERE device_id = $1",
            &[&id],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_device_position(
        &self,
        device: &DeviceId,
        moved: &[(DocId, Option<HeadsDigest>)],
    ) -> StoreResult<()> {
        if moved.is_empty() {
            return Ok(());
        }
        let id = device.as_str();
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        if lock_device(&tx, id).await? != Some(true) {
            return Ok(());
        }
        let moved: Option<Vec<(String, String)>> = moved
            .iter()
            .map(|(doc, digest)| digest.map(|d| (doc.to_string(), String::from(d))))
            .collect();
        match moved {
            None => {
                execute(
                    &tx,
                    "DELETE FROM device_positions WHERE device_id = $1",
                    &[&id],
                )
                .await?;
                execute(
                    &tx,
                    "UPDATE devices SET position_known = FALSE WHERE device_id = $1",
                    &[&id],
                )
                .await?;
            }
            Some(moved) => {
                let upsert = tx
                    .prepare_cached(
                        "INSERT INTO device_positions (device_id, doc_id, digest)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (device_id, doc_id) DO UPDATE SET digest = excluded.digest",
                    )
                    .await?;
                let params = moved
                    .iter()
                    .map(|(doc, digest)| -> Vec<Param<'_>> { vec![&id, doc, digest] })
                    .collect();
                execute_all(&tx, &upsert, params).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
