//! Phones: enrollment, bearer tokens, presence and revocation.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use plumbline_shared::ids::DeviceId;
use plumbline_shared::time::Timestamp;

use super::accounts::memberships_of;
use super::{PostgresStore, RowExt, execute, query, query_opt, read_only};
use crate::store::{
    DeviceInfo, DeviceStore, DeviceWork, Identity, Presence, StoreError, StoreResult,
};

/// Who is behind a device (revoked or not: the callers check).
async fn identity_for_device<C: GenericClient>(c: &C, device: &str) -> StoreResult<Identity> {
    let Some(row) = query_opt(
        c,
        "SELECT u.user_id, u.display_name FROM devices d JOIN users u ON u.user_id = d.user_id
         WHERE d.device_id = $1",
        &[&device],
    )
    .await?
    else {
        // What the SQLite backend's `query_row` answers for a missing row.
        return Err(StoreError::NotFound("row".into()));
    };
    let user: String = row.value(0)?;
    Ok(Identity {
        device: super::parse("device id", device.to_owned())?,
        memberships: memberships_of(c, &user).await?,
        user: super::parse("user id", user)?,
        display_name: row.value(1)?,
    })
}

#[async_trait]
impl DeviceStore for PostgresStore {
    async fn create_enrollment_code(
        &self,
        code_hash: [u8; 32],
        user: &plumbline_shared::ids::UserId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let now = self.clock.now().0;
        let client = self.conn().await?;
        execute(
            &client,
            "INSERT INTO enrollment_codes (code_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&&code_hash[..], &user.as_str(), &now, &expires_at.0],
        )
        .await?;
        Ok(())
    }

    /// The code's row is locked (`FOR UPDATE`) from its check to the commit: a second
    /// enrollment with the same code waits, then reads it used and gets the same `Conflict` as
    /// on SQLite. A code enrolls one device.
    async fn enroll_device(
        &self,
        code_hash: [u8; 32],
        device: &DeviceId,
        previous: Option<&DeviceId>,
        name: &str,
        token_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Identity> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let Some(code) = query_opt(
            &tx,
            "SELECT user_id, expires_at, used_at FROM enrollment_codes WHERE code_hash = $1
             FOR UPDATE",
            &[&&code_hash[..]],
        )
        .await?
        else {
            return Err(StoreError::NotFound("enrollment code".into()));
        };
        let user: String = code.value(0)?;
        let expires_at: i64 = code.value(1)?;
        let used_at: Option<i64> = code.value(2)?;
        if used_at.is_some() {
            return Err(StoreError::Conflict(
                "this enrollment code was already used".into(),
            ));
        }
        if expires_at < now.0 {
            return Err(StoreError::Conflict(
                "this enrollment code has expired".into(),
            ));
        }
        // The same device again, when it is this person's and still trusted.
        let again = match previous {
            Some(p) => query_opt(
                &tx,
                "SELECT 1 FROM devices WHERE device_id = $1 AND user_id = $2
                 AND revoked_at IS NULL FOR UPDATE",
                &[&p.as_str(), &user],
            )
            .await?
            .map(|_| p.clone()),
            None => None,
        };
        let enrolled = again.clone().unwrap_or_else(|| device.clone());
        execute(
            &tx,
            "UPDATE enrollment_codes SET used_at = $2, device_id = $3 WHERE code_hash = $1",
            &[&&code_hash[..], &now.0, &enrolled.as_str()],
        )
        .await?;
        if again.is_some() {
            execute(
                &tx,
                "UPDATE devices SET token_hash = $2, name = $3 WHERE device_id = $1",
                &[&enrolled.as_str(), &&token_hash[..], &name],
            )
            .await?;
        } else {
            execute(
                &tx,
                "INSERT INTO devices (device_id, user_id, name, token_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&enrolled.as_str(), &user, &name, &&token_hash[..], &now.0],
            )
            .await?;
        }
        let identity = identity_for_device(&tx, enrolled.as_str()).await?;
        tx.commit().await?;
        Ok(identity)
    }

    async fn identity_by_token(
        &self,
        token_hash: [u8; 32],
        _now: Timestamp,
    ) -> StoreResult<Option<Identity>> {
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let row = query_opt(
            &tx,
            "SELECT device_id, revoked_at FROM devices WHERE token_hash = $1",
            &[&&token_hash[..]],
        )
        .await?;
        let identity = match row {
            Some(r) if r.value::<Option<i64>>(1)?.is_none() => {
                let device: String = r.value(0)?;
                Some(identity_for_device(&tx, &device).await?)
            }
            _ => None,
        };
        tx.commit().await?;
        Ok(identity)
    }

    /// In enrollment order; devices enrolled in the same millisecond by id (SQLite leaves those
    /// in insertion order, which PostgreSQL does not keep).
    async fn devices(&self) -> StoreResult<Vec<DeviceInfo>> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT device_id, user_id, name, created_at, revoked_at, last_seen, last_synced
             FROM devices ORDER BY created_at, device_id",
            &[],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceInfo {
                    device: r.parsed(0, "device id")?,
                    user: r.parsed(1, "user id")?,
                    name: r.value(2)?,
                    created_at: r.time(3)?,
                    revoked_at: r.time_opt(4)?,
                    last_seen: r.time_opt(5)?,
                    last_synced: r.time_opt(6)?,
                })
            })
            .collect()
    }

    /// One transaction, the devices updated in id order: two servers noting the same devices
    /// at once lock their rows in one order and cannot deadlock. Each update keeps the later
    /// time, so the order changes nothing else.
    async fn record_presence(&self, seen: Vec<(DeviceId, Presence)>) -> StoreResult<()> {
        let mut seen = seen;
        seen.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let update = tx
            .prepare_cached(
                "UPDATE devices SET last_seen = GREATEST(COALESCE(last_seen, 0), $2),
                    last_synced = CASE WHEN $3::BIGINT IS NULL THEN last_synced
                                       ELSE GREATEST(COALESCE(last_synced, 0), $3) END
                 WHERE device_id = $1",
            )
            .await?;
        for (device, p) in &seen {
            tx.execute(
                &update,
                &[&device.as_str(), &p.seen.0, &p.synced.map(|t| t.0)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn device_work(&self, device: &DeviceId, limit: u32) -> StoreResult<Vec<DeviceWork>> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT doc_id, COUNT(*), MAX(stored_at) FROM changes WHERE device_id = $1
             GROUP BY doc_id ORDER BY MAX(stored_at) DESC, doc_id LIMIT $2",
            &[&device.as_str(), &i64::from(limit)],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceWork {
                    doc: r.parsed(0, "document id")?,
                    changes: r.count(1)?,
                    last_stored: r.time(2)?,
                })
            })
            .collect()
    }

    async fn revoke_device(&self, device: &DeviceId, now: Timestamp) -> StoreResult<()> {
        let client = self.conn().await?;
        let n = execute(
            &client,
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE device_id = $1",
            &[&device.as_str(), &now.0],
        )
        .await?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("device `{device}`")));
        }
        Ok(())
    }
}
