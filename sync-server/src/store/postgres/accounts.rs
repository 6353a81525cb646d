//! People: users, their roles, passwords and sign-in attempts.

use std::collections::HashMap;

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use plumbline_shared::ids::UserId;
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;

use super::{PostgresStore, RowExt, execute, query, query_opt, read_only};
use crate::store::{
    AccountStore, LoginAttempt, Membership, NewUser, StoreError, StoreResult, UserInfo,
};

/// The columns [`membership`] reads, in its order.
const MEMBERSHIP_COLUMNS: &str = "project_id, role, contractor_id";

/// A membership row selected with [`MEMBERSHIP_COLUMNS`] from column `at` on.
fn membership(r: &tokio_postgres::Row, at: usize) -> StoreResult<Membership> {
    let role: String = r.value(at + 1)?;
    Ok(Membership {
        project: r.parsed(at, "project id")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("stored role `{role}` is unknown")))?,
        contractor: r.parsed_opt(at + 2, "contractor id")?,
    })
}

/// A user's roles, by project.
pub(super) async fn memberships_of<C: GenericClient>(
    c: &C,
    user: &str,
) -> StoreResult<Vec<Membership>> {
    query(
        c,
        &format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE user_id = $1 ORDER BY project_id"
        ),
        &[&user],
    )
    .await?
    .iter()
    .map(|r| membership(r, 0))
    .collect()
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<()> {
        let now = self.clock.now().0;
        let client = self.conn().await?;
        let inserted = execute(
            &client,
            "INSERT INTO users (user_id, display_name, password_hash, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING",
            &[
                &user.user.as_str(),
                &user.display_name,
                &user.password_hash,
                &now,
            ],
        )
        .await?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "user `{}` already exists",
                user.user
            )));
        }
        Ok(())
    }

    async fn set_membership(&self, user: &UserId, m: Membership) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        // `FOR SHARE`: the user stays while the membership is written (the foreign key would
        // refuse it otherwise, with a less useful error).
        let exists = query_opt(
            &tx,
            "SELECT 1 FROM users WHERE user_id = $1 FOR SHARE",
            &[&user.as_str()],
        )
        .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("user `{user}`")));
        }
        execute(
            &tx,
            "INSERT INTO memberships (user_id, project_id, role, contractor_id)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, project_id) DO UPDATE SET role = excluded.role,
                contractor_id = excluded.contractor_id",
            &[
                &user.as_str(),
                &m.project.as_str(),
                &m.role.as_str(),
                &m.contractor.as_ref().map(|x| x.as_str()),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn password_hash(&self, user: &UserId) -> StoreResult<Option<String>> {
        let client = self.conn().await?;
        let row = query_opt(
            &client,
            "SELECT password_hash FROM users WHERE user_id = $1",
            &[&user.as_str()],
        )
        .await?;
        Ok(row
            .map(|r| r.value::<Option<String>>(0))
            .transpose()?
            .flatten())
    }

    async fn users(&self) -> StoreResult<Vec<UserInfo>> {
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let users = query(
            &tx,
            "SELECT user_id, display_name FROM users ORDER BY user_id",
            &[],
        )
        .await?;
        let mut memberships: HashMap<String, Vec<Membership>> = HashMap::new();
        for r in query(
            &tx,
            &format!(
                "SELECT user_id, {MEMBERSHIP_COLUMNS} FROM memberships
                 ORDER BY user_id, project_id"
            ),
            &[],
        )
        .await?
        {
            memberships
                .entry(r.value(0)?)
                .or_default()
                .push(membership(&r, 1)?);
        }
        tx.commit().await?;
        users
            .iter()
            .map(|r| {
                let user: String = r.value(0)?;
                Ok(UserInfo {
                    memberships: memberships.remove(&user).unwrap_or_default(),
                    user: parse_user(user)?,
                    display_name: r.value(1)?,
                })
            })
            .collect()
    }

    async fn user(&self, user: &UserId) -> StoreResult<Option<(String, Vec<Membership>)>> {
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let row = query_opt(
            &tx,
            "SELECT display_name FROM users WHERE user_id = $1",
            &[&user.as_str()],
        )
        .await?;
        let answer = match row {
            Some(r) => Some((r.value(0)?, memberships_of(&tx, user.as_str()).await?)),
            None => None,
        };
        tx.commit().await?;
        Ok(answer)
    }

    /// One upsert counts the attempt unless the name is locked, atomically: concurrent attempts
    /// queue on the login's row (`ON CONFLICT DO UPDATE` locks it, and its `WHERE` sees the
    /// latest committed count), so each is counted once and the one that reaches `lock_after`
    /// locks the name for everyone after it. No row back means the lock held.
    async fn begin_login_attempt(
        &self,
        login: &str,
        now: Timestamp,
        lock_after: u32,
        lock_ms: i64,
    ) -> StoreResult<LoginAttempt> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let counted = query_opt(
            &tx,
            "INSERT INTO login_failures AS f (login, failures, last_failure) VALUES ($1, 1, $2)
             ON CONFLICT (login) DO UPDATE SET failures = f.failures + 1, last_failure = $2
                WHERE f.locked_until IS NULL OR f.locked_until <= $2
             RETURNING failures",
            &[&login, &now.0],
        )
        .await?;
        let Some(row) = counted else {
            return Ok(LoginAttempt::Locked);
        };
        let failures = row.count(0)?;
        if failures >= lock_after {
            execute(
                &tx,
                "UPDATE login_failures SET locked_until = $2 WHERE login = $1",
                &[&login, &(now.0 + lock_ms)],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(LoginAttempt::Counted(failures))
    }

    async fn clear_login_failures(&self, login: &str) -> StoreResult<()> {
        let client = self.conn().await?;
        execute(
            &client,
            "DELETE FROM login_failures WHERE login = $1",
            &[&login],
        )
        .await?;
        Ok(())
    }
}

/// A stored user id.
fn parse_user(user: String) -> StoreResult<UserId> {
    super::parse("user id", user)
}
