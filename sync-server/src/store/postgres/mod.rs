//! The PostgreSQL backend: for an office that runs several server replicas on one database, or
//! keeps its data in a database it already operates and backs up.
//!
//! Every method is one statement, or one transaction, on a pooled connection, and answers only
//! after PostgreSQL acknowledged the statement or the `COMMIT`. With `synchronous_commit` on
//! (PostgreSQL's default) that acknowledgement comes after the WAL is flushed, which is the
//! store's durable acknowledgement; [`PostgresStore::connect`] warns when the database runs with
//! it off.
//!
//! What differs from SQLite. The SQLite backend has one writer thread, so every write sees the
//! database as the previous one left it and nothing can come between its read and its write.
//! Here transactions run side by side, from this server's pool and from other replicas, so
//! every method that reads before it writes takes the row locks that make it atomic, always in
//! one order, so that transactions wanting the same rows queue instead of deadlocking:
//! - documents: a batch locks its documents' rows in `doc_id` order before storing changes
//!   (`docs.rs` says why compaction depends on it);
//! - the numbered series: a batch locks the counters it claims from in (series, year) order,
//!   after its documents (`counters.rs`);
//! - enrollment codes and sign-in attempts: the code's or the login's row (`devices.rs`,
//!   `accounts.rs`);
//! - robot messages: claimed with `FOR UPDATE SKIP LOCKED` (`webhooks.rs`).
//!
//! Reads of more than one statement run in one `REPEATABLE READ READ ONLY` transaction, so they
//! see one snapshot: a document's snapshot and its changes are never read across a compaction.
//!
//! One file per concern of the store's traits; the schema is
//! `migrations/postgres/*.sql`, applied by `migrate` below.

mod accounts;
mod blobs;
mod cases;
mod contacts;
mod counters;
mod devices;
mod docs;
mod feed;
mod leases;
mod notifications;
mod positions;
mod projection;
mod sessions;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use automerge::ChangeHash;
use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime, Transaction,
};
use plumbline_shared::clock::Clock;
use plumbline_shared::time::Timestamp;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{IsolationLevel, NoTls, Row, Statement};

use super::{Store, StoreError, StoreResult};

/// The schema, in order. Never edit a released migration: add one.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20261207000000_create_tables",
        include_str!("../../../migrations/postgres/20261207000000_create_tables.sql"),
    ),
    (
        "20261207100000_add_device_positions",
        include_str!("../../../migrations/postgres/20261207100000_add_device_positions.sql"),
    ),
    (
        "20261207110000_add_leases",
        include_str!("../../../migrations/postgres/20261207110000_add_leases.sql"),
    ),
    (
        "20261207200000_add_projection_versions",
        include_str!("../../../migrations/postgres/20261207200000_add_projection_versions.sql"),
    ),
];

/// The advisory lock key the migration runner holds ("plumblin" in ASCII): replicas starting
/// together wait for each other, and the first applies the migrations alone.
const MIGRATION_LOCK: i64 = 0x706c_756d_626c_696e;

/// Most connections one server opens. Every store call holds one for a statement or a
/// transaction of a few milliseconds; sixteen keep up with the sync handlers and the background
/// tasks while leaving room under PostgreSQL's default `max_connections` (100) for replicas.
const MAX_CONNECTIONS: usize = 16;
/// How long a call waits for a free connection before it fails (and the request with it),
/// rather than queueing forever behind a stuck database.
const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long opening a new connection may take (TCP, authentication).
const CREATE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the pool's check of an idle connection may take before it is replaced.
const RECYCLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Most statements sent before waiting for their answers (see [`execute_all`]).
const PIPELINE_DEPTH: usize = 256;

/// The PostgreSQL store. Cheap to clone: the pool is shared.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// How to connect, for the connection that follows other replicas' writes (`feed.rs`),
    /// which stays outside the pool.
    config: tokio_postgres::Config,
    /// When rows were stored, created or applied (bookkeeping, never a verdict).
    clock: Clock,
}

impl std::fmt::Debug for PostgresStore {
    /// The pool's size only: its configuration holds the database's user and password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`),
    /// migrating it when needed; `clock` dates the rows' bookkeeping columns. Errors name the
    /// database with its password hidden.
    pub async fn connect(url: &str, clock: Clock) -> anyhow::Result<Self> {
        let shown = super::redact(url);
        let mut config = tokio_postgres::Config::from_str(url)
            .with_context(|| format!("database URL `{shown}` is not a PostgreSQL URL"))?;
        if config.get_application_name().is_none() {
            config.application_name("plumbline-sync-server");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CREATE_TIMEOUT);
        }
        // No TLS: the database is reached on a private network or a Unix socket (see the
        // workspace's Cargo.toml). `Fast` recycling: a connection the server closed is noticed
        // by `is_closed`, without a round trip before every call.
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(MAX_CONNECTIONS)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CREATE_TIMEOUT))
            .recycle_timeout(Some(RECYCLE_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .context("building the PostgreSQL connection pool")?;
        let mut client = pool
            .get()
            .await
            .with_context(|| format!("connecting to the database {shown}"))?;
        migrate(&mut client, &clock)
            .await
            .with_context(|| format!("migrating the database {shown}"))?;
        let synchronous: String = client
            .query_one("SELECT current_setting('synchronous_commit')", &[])
            .await?
            .try_get(0)?;
        if synchronous == "off" {
            tracing::warn!(
                database = %shown,
                "the database runs with synchronous_commit = off: a crash of PostgreSQL can lose \
                 writes the server already acknowledged to devices"
            );
        }
        drop(client);
        Ok(Self {
            pool,
            config,
            clock,
        })
    }

    /// A pooled connection.
    async fn conn(&self) -> StoreResult<Object> {
        self.pool
            .get()
            .await
            .map_err(|e| StoreError::Other(anyhow::anyhow!("no database connection: {e}")))
    }
}

/// A read-only transaction on one snapshot, for reads of several statements.
async fn read_only(client: &mut Object) -> StoreResult<Transaction<'_>> {
    Ok(client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?)
}

/// Applies the migrations the database lacks, under an advisory lock held to the end of the
/// transaction: replicas starting at once queue on it, and each finds what the first applied.
/// PostgreSQL's DDL is transactional, so the migrations and their bookkeeping commit together
/// or not at all. Refuses a database that has a migration this server does not know.
async fn migrate(client: &mut Object, clock: &Clock) -> anyhow::Result<()> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("waiting for the migration lock")?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            name TEXT COLLATE \"C\" PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let applied = tx
        .query("SELECT name FROM schema_migrations ORDER BY name", &[])
        .await?
        .iter()
        .map(|r| r.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    super::refuse_unknown_migrations(&applied, MIGRATIONS)?;
    let mut done = Vec::new();
    for (name, sql) in MIGRATIONS {
        if applied.iter().any(|a| a == name) {
            continue;
        }
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("applying migration {name}"))?;
        tx.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
            &[name, &clock.now().0],
        )
        .await?;
        done.push(*name);
    }
    tx.commit().await?;
    for name in done {
        tracing::info!(migration = name, "applied database migration");
    }
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        self.conn().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    /// Anything the database refuses is [`StoreError::Other`]: where the SQLite backend answers
    /// `Conflict` or `NotFound`, the methods check for it themselves (`ON CONFLICT DO NOTHING`
    /// and the rows it touched, a row that is not there), as the SQLite backend does.
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Other(e.into())
    }
}

/// A statement parameter, borrowed.
type Param<'a> = &'a (dyn ToSql + Sync);

/// Owned statement parameters, for rows built before they are sent.
type Params = Vec<Box<dyn ToSql + Sync + Send>>;

/// Boxes statement parameters: `params![a, b]`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        vec![$(Box::new($value) as Box<dyn tokio_postgres::types::ToSql + Sync + Send>),*]
    };
}
use params;

/// Borrows owned parameters the way a statement takes them.
fn refs(values: &Params) -> Vec<Param<'_>> {
    values
        .iter()
        .map(|v| v.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// Runs `statement` once for every row of parameters, in order, pipelined: each chunk of
/// statements goes out before the first answer is awaited, so a unit's hundreds of projection
/// rows cost a few round trips instead of hundreds. PostgreSQL executes them in the order sent;
/// the first failure fails the call (and aborts the transaction). Returns the rows affected.
async fn execute_all(
    tx: &Transaction<'_>,
    statement: &Statement,
    rows: Vec<Vec<Param<'_>>>,
) -> StoreResult<u64> {
    let mut total = 0;
    for chunk in rows.chunks(PIPELINE_DEPTH) {
        let counts =
            futures::future::try_join_all(chunk.iter().map(|values| tx.execute(statement, values)))
                .await?;
        total += counts.into_iter().sum::<u64>();
    }
    Ok(total)
}

/// One row or none, from a statement prepared once per connection.
async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Option<Row>> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&statement, params).await?)
}

/// Every row, from a statement prepared once per connection.
async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<Vec<Row>> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query(&statement, params).await?)
}

/// Runs a statement prepared once per connection; returns the rows it touched.
async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<u64> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.execute(&statement, params).await?)
}

/// Reading columns back into Plumbline's types.
trait RowExt {
    /// A column as stored.
    fn value<'a, T: FromSql<'a>>(&'a self, index: usize) -> StoreResult<T>;
    /// A text column parsed into an id or another type with `FromStr`.
    fn parsed<T: FromStr>(&self, index: usize, what: &str) -> StoreResult<T>
    where
        T::Err: std::fmt::Display;
    /// A nullable text column parsed.
    fn parsed_opt<T: FromStr>(&self, index: usize, what: &str) -> StoreResult<Option<T>>
    where
        T::Err: std::fmt::Display;
    /// A millisecond timestamp.
    fn time(&self, index: usize) -> StoreResult<Timestamp>;
    /// A nullable millisecond timestamp.
    fn time_opt(&self, index: usize) -> StoreResult<Option<Timestamp>>;
    /// A count kept in a BIGINT, read back into the u32 it was.
    fn count(&self, index: usize) -> StoreResult<u32>;
}

impl RowExt for Row {
    fn value<'a, T: FromSql<'a>>(&'a self, index: usize) -> StoreResult<T> {
        Ok(self.try_get(index)?)
    }

    fn parsed<T: FromStr>(&self, index: usize, what: &str) -> StoreResult<T>
    where
        T::Err: std::fmt::Display,
    {
        parse(what, self.value(index)?)
    }

    fn parsed_opt<T: FromStr>(&self, index: usize, what: &str) -> StoreResult<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.value::<Option<String>>(index)?
            .map(|v| parse(what, v))
            .transpose()
    }

    fn time(&self, index: usize) -> StoreResult<Timestamp> {
        Ok(Timestamp(self.value(index)?))
    }

    fn time_opt(&self, index: usize) -> StoreResult<Option<Timestamp>> {
        Ok(self.value::<Option<i64>>(index)?.map(Timestamp))
    }

    fn count(&self, index: usize) -> StoreResult<u32> {
        let n: i64 = self.value(index)?;
        u32::try_from(n).map_err(|_| {
            StoreError::Other(anyhow::anyhow!(
                "stored count {n} (column {index}) is out of range"
            ))
        })
    }
}

/// A stored text parsed, or the error that names it.
fn parse<T: FromStr>(what: &str, value: String) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e: T::Err| {
        StoreError::Other(anyhow::anyhow!(
            "stored {what} `{value}` does not parse: {e}"
        ))
    })
}

/// Heads as stored: the 32-byte hashes sorted and concatenated (as the SQLite backend stores
/// them).
fn hashes_to_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    let mut sorted = heads.to_vec();
    sorted.sort();
    sorted.iter().flat_map(|h| h.0).collect()
}

/// Stored heads read back.
fn bytes_to_hashes(bytes: &[u8]) -> StoreResult<Vec<ChangeHash>> {
    bytes
        .chunks(32)
        .map(|c| {
            Ok(ChangeHash(c.try_into().map_err(|_| {
                StoreError::Other(anyhow::anyhow!(
                    "stored heads are not a multiple of 32 bytes"
                ))
            })?))
        })
        .collect()
}

/// An enum as stored: its serde name without JSON quotes (as the SQLite backend stores it).
fn json_text<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// [`json_text`] read back.
fn from_json_text<T: serde::de::DeserializeOwned>(text: String) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.clone()))
        .or_else(|_| serde_json::from_str(&text))
        .map_err(|e| StoreError::Other(anyhow::anyhow!("stored value `{text}`: {e}")))
}

/// A u32 (or any count) as the BIGINT it is stored in.
fn big(n: impl Into<i64>) -> i64 {
    n.into()
}
