//! The office web's sign-in sessions.

use async_trait::async_trait;
use plumbline_shared::time::Timestamp;

use super::accounts::memberships_of;
use super::{PostgresStore, RowExt, execute, query_opt, read_only};
use crate::store::{NewWebSession, SessionStore, StoreResult, WebSession};

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_web_session(&self, s: NewWebSession) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        // Expired sessions go whenever a new one starts.
        execute(
            &tx,
            "DELETE FROM web_sessions WHERE expires_at <= $1",
            &[&s.created_at.0],
        )
        .await?;
        execute(
            &tx,
            "INSERT INTO web_sessions (session_hash, user_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &&s.session_hash[..],
                &s.user.as_str(),
                &s.csrf_token,
                &s.created_at.0,
                &s.expires_at.0,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn web_session(
        &self,
        session_hash: [u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<WebSession>> {
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let row = query_opt(
            &tx,
            "SELECT s.user_id, u.display_name, s.csrf_token, s.expires_at
             FROM web_sessions s JOIN users u ON u.user_id = s.user_id
             WHERE s.session_hash = $1 AND s.expires_at > $2",
            &[&&session_hash[..], &now.0],
        )
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let user: String = r.value(0)?;
        let memberships = memberships_of(&tx, &user).await?;
        tx.commit().await?;
        Ok(Some(WebSession {
            user: super::parse("user id", user)?,
            display_name: r.value(1)?,
            memberships,
            csrf_token: r.value(2)?,
            expires_at: r.time(3)?,
        }))
    }

    async fn delete_web_session(&self, session_hash: [u8; 32]) -> StoreResult<()> {
        let client = self.conn().await?;
        execute(
            &client,
            "DELETE FROM web_sessions WHERE session_hash = $1",
            &[&&session_hash[..]],
        )
        .await?;
        Ok(())
    }
}
