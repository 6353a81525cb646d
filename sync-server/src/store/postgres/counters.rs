//! The gapless yearly series (notices, fine slips): [`CounterStore::next_number`] and the
//! [`NumberClaim`]s a document write takes.
//!
//! A claim must take exactly the number after the series' last, or the write fails whole with
//! [`StoreError::NumberTaken`], as in the SQLite backend. With concurrent transactions that
//! needs the counter's row locked from the check to the commit: a batch with claims locks each
//! counter it claims from (creating the row when the year has none yet, so that there is a row
//! to lock) in (series, year) order, after its documents. Two batches claiming from the same
//! counters then queue instead of deadlocking, and the second sees the first's number. The
//! claim itself is also a conditional update that checks the row it touched.

use std::collections::BTreeSet;

use async_trait::async_trait;
use deadpool_postgres::Transaction;

use super::{PostgresStore, RowExt, big, execute, query_opt};
use crate::store::{CounterStore, DocWrite, NumberClaim, Series, StoreError, StoreResult};

/// The table counting `series`.
fn counter_table(series: Series) -> &'static str {
    match series {
        Series::Notice => "notice_counters",
        Series::Fine => "fine_counters",
    }
}

/// Locks, to the commit, every counter the batch's claims take from, in (series, year) order.
/// A row created here with `last = 0` reads as no number taken yet, like a missing row; the
/// claim that needed it moves it on, or fails and rolls it back.
pub(super) async fn lock_counters(tx: &Transaction<'_>, writes: &[DocWrite]) -> StoreResult<()> {
    let counters: BTreeSet<(Series, i32)> = writes
        .iter()
        .flat_map(|w| &w.claims)
        .map(|c| (c.series, c.year))
        .collect();
    for (series, year) in counters {
        let table = counter_table(series);
        execute(
            tx,
            &format!(
                "INSERT INTO {table} (year, last) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING"
            ),
            &[&year],
        )
        .await?;
        execute(
            tx,
            &format!("SELECT last FROM {table} WHERE year = $1 FOR UPDATE"),
            &[&year],
        )
        .await?;
    }
    Ok(())
}

/// Takes `claim`'s number inside the caller's transaction (which holds the counter's lock): it
/// must follow the series' last number exactly, or another write took it first.
pub(super) async fn take_number(tx: &Transaction<'_>, claim: &NumberClaim) -> StoreResult<()> {
    let taken = execute(
        tx,
        &format!(
            "UPDATE {} SET last = $2::BIGINT WHERE year = $1 AND last = $2::BIGINT - 1",
            counter_table(claim.series)
        ),
        &[&claim.year, &big(claim.number)],
    )
    .await?;
    if taken != 1 {
        return Err(StoreError::NumberTaken {
            series: claim.series,
            year: claim.year,
            number: claim.number,
        });
    }
    Ok(())
}

#[async_trait]
impl CounterStore for PostgresStore {
    async fn next_number(&self, series: Series, year: i32) -> StoreResult<u32> {
        let client = self.conn().await?;
        let last = query_opt(
            &client,
            &format!("SELECT last FROM {} WHERE year = $1", counter_table(series)),
            &[&year],
        )
        .await?
        .map(|r| r.count(0))
        .transpose()?;
        Ok(last.unwrap_or(0) + 1)
    }
}
