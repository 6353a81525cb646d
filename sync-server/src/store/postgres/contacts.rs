//! Owners' full contacts and who looked at them.

use async_trait::async_trait;
use plumbline_shared::ids::{FindingId, ProjectId};
use tokio_postgres::Row;

use super::{Param, PostgresStore, RowExt, execute, execute_all, query, query_opt};
use crate::store::{
    ContactPurpose, ContactStore, ContactView, OwnerContactRecord, Page, StoreResult,
};

/// The columns [`contact_record`] reads, in its order.
const CONTACT_COLUMNS: &str = "finding_id, project_id, unit_id, name, phone, recorded_at";

/// A contact row selected with [`CONTACT_COLUMNS`].
fn contact_record(r: &Row) -> StoreResult<OwnerContactRecord> {
    Ok(OwnerContactRecord {
        finding: r.parsed(0, "finding id")?,
        project: r.parsed(1, "project id")?,
        unit: r.parsed(2, "unit id")?,
        contact: plumbline_shared::doc::finding::OwnerContact {
            name: r.value(3)?,
            phone: r.value(4)?,
        },
        recorded_at: r.time(5)?,
    })
}

#[async_trait]
impl ContactStore for PostgresStore {
    async fn owner_contact(&self, finding: &FindingId) -> StoreResult<Option<OwnerContactRecord>> {
        let client = self.conn().await?;
        query_opt(
            &client,
            &format!("SELECT {CONTACT_COLUMNS} FROM owner_contacts WHERE finding_id = $1"),
            &[&finding.as_str()],
        )
        .await?
        .map(|r| contact_record(&r))
        .transpose()
    }

    async fn unmasked_contacts(
        &self,
        after: Option<&FindingId>,
        limit: usize,
    ) -> StoreResult<Vec<OwnerContactRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // The empty text sorts before every id.
        let after = after.map(|f| f.as_str()).unwrap_or_default();
        let client = self.conn().await?;
        query(
            &client,
            &format!(
                "SELECT {CONTACT_COLUMNS} FROM owner_contacts WHERE NOT masked_in_doc
                 AND finding_id > $1 ORDER BY finding_id LIMIT $2"
            ),
            &[&after, &limit],
        )
        .await?
        .iter()
        .map(contact_record)
        .collect()
    }

    async fn contact_masked(&self, finding: &FindingId) -> StoreResult<()> {
        let client = self.conn().await?;
        execute(
            &client,
            "UPDATE owner_contacts SET masked_in_doc = TRUE WHERE finding_id = $1",
            &[&finding.as_str()],
        )
        .await?;
        Ok(())
    }

    /// One transaction; the views get their ids in the order given.
    async fn record_contact_views(&self, views: Vec<ContactView>) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO contact_views (at, user_id, project_id, unit_id, finding_id, purpose)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await?;
        let fields: Vec<[&str; 5]> = views
            .iter()
            .map(|v| {
                [
                    v.user.as_str(),
                    v.project.as_str(),
                    v.unit.as_str(),
                    v.finding.as_str(),
                    v.purpose.as_str(),
                ]
            })
            .collect();
        let rows = views
            .iter()
            .zip(&fields)
            .map(|(v, f)| -> Vec<Param<'_>> { vec![&v.at.0, &f[0], &f[1], &f[2], &f[3], &f[4]] })
            .collect();
        execute_all(&tx, &insert, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn contact_views(
        &self,
        projects: &[ProjectId],
        page: Page,
    ) -> StoreResult<Vec<ContactView>> {
        let projects: Vec<String> = projects.iter().map(|p| p.to_string()).collect();
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT at, user_id, project_id, unit_id, finding_id, purpose FROM contact_views
             WHERE project_id = ANY($1)
             ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3",
            &[&projects, &i64::from(page.limit), &i64::from(page.offset)],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ContactView {
                    at: r.time(0)?,
                    user: r.parsed(1, "user id")?,
                    project: r.parsed(2, "project id")?,
                    unit: r.parsed(3, "unit id")?,
                    finding: r.parsed(4, "finding id")?,
                    purpose: ContactPurpose::parse(r.value(5)?),
                })
            })
            .collect()
    }
}
