//! Background work one server replica does for all.

use async_trait::async_trait;
use plumbline_shared::time::Timestamp;

use super::{PostgresStore, execute};
use crate::store::{LeaseStore, StoreResult};

#[async_trait]
impl LeaseStore for PostgresStore {
    /// One statement: the conflicting row is locked, so of replicas asking at once the first
    /// takes the lease and the others see it taken (their `WHERE` fails, no row is touched).
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> StoreResult<bool> {
        let client = self.conn().await?;
        let taken = execute(
            &client,
            "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $4)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
             WHERE leases.until <= $3 OR leases.holder = excluded.holder",
            &[&name, &holder, &now.0, &until.0],
        )
        .await?;
        Ok(taken == 1)
    }
}
