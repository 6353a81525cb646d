//! The case records projected from the documents, and what is read from them: case lists and
//! counts, evidence arrival, the reports' rows, the readiness page and the verdicts' schedule.
//!
//! The listings are the SQLite backend's queries in PostgreSQL's words: the same filters, the
//! same order (text columns compare byte by byte, `COLLATE "C"`, like SQLite's), the flags read
//! as booleans. Lists of ids are bound as one array (`= ANY($n)`), so a listing's SQL depends on
//! which filters are set and not on how many ids they hold.

use async_trait::async_trait;
use plumbline_shared::ids::{BlobHash, ProjectId, UnitId};
use plumbline_shared::inspection_plan::InspectionProgress;
use plumbline_shared::projection::{
    CallbackRow, CaseRow, EmergencyRow, EvidenceRow, FineRow, NoticeRow,
};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::PenaltyCondition;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{
    Params, PostgresStore, RowExt, execute, from_json_text, json_text, query, read_only, refs,
};
use crate::store::sql::{CASE_COLUMNS, case_order};
use crate::store::{
    CaseFilter, CaseRecord, CaseStore, EvidenceStatus, Page, ProjectionVersion, Queue, ReportRows,
    StoreError, StoreResult,
};

/// A project's projection version (see the `projection_versions` migration).
async fn projection_version<C: deadpool_postgres::GenericClient>(
    client: &C,
    project: &str,
) -> StoreResult<ProjectionVersion> {
    let rows = query(
        client,
        "SELECT count(*), coalesce(sum(version), 0)::BIGINT FROM projection_versions
         WHERE project_id = $1",
        &[&project],
    )
    .await?;
    let row = rows
        .first()
        .ok_or_else(|| anyhow::anyhow!("a count returned no row"))?;
    let number = |i: usize| -> StoreResult<u64> {
        Ok(u64::try_from(row.value::<i64>(i)?).unwrap_or_default())
    };
    Ok(ProjectionVersion {
        units: number(0)?,
        writes: number(1)?,
    })
}

/// A case row selected with [`CASE_COLUMNS`].
fn case_record(r: &Row) -> StoreResult<CaseRecord> {
    let penalties: String = r.value(19)?;
    Ok(CaseRecord {
        project: r.parsed(0, "project id")?,
        unit: r.parsed(1, "unit id")?,
        case: CaseRow {
            finding: r.parsed(2, "finding id")?,
            origin: from_json_text(r.value(3)?)?,
            room: r.value(4)?,
            item: r.value(5)?,
            category: r.value(6)?,
            severity: from_json_text(r.value(7)?)?,
            description: r.value(8)?,
            status: from_json_text(r.value(9)?)?,
            contractor: r.parsed_opt(10, "contractor id")?,
            notice_no: r.value(11)?,
            response_deadline: r.time_opt(12)?,
            repair_deadline: r.time_opt(13)?,
            return_deadline: r.time_opt(14)?,
            response_overdue: r.value(15)?,
            repair_overdue: r.value(16)?,
            return_overdue: r.value(17)?,
            emergency_required: r.value(18)?,
            penalties: penalties
                .split(',')
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.parse().ok())
                .collect(),
            anomalies: r.count(20)?,
            conflicts: r.count(21)?,
            evidence_refs: r.count(22)?,
            open_evidence_requests: r.count(23)?,
            reopen_count: r.count(24)?,
            created_by: r.parsed(25, "user id")?,
            created_at: r.time(26)?,
            closed_at: r.time_opt(27)?,
            counts: r.value(28)?,
            merged_into: r.parsed_opt(29, "finding id")?,
            clock_running: r.value(30)?,
            callback_due: r.value(31)?,
            verdicts_until: r.time_opt(32)?,
            evidence_after_acceptance: r.count(33)?,
        },
    })
}

/// The response window passed as of `at` (a placeholder), with nobody answering: the workflow's
/// `response_overdue`, read against the clock rather than the time the row was projected. A
/// stopped clock (a refusal, a dispute) is no longer waiting on the contractor.
fn response_overdue(at: &str) -> String {
    format!("(clock_running AND status = 'notified' AND response_deadline < {at})")
}

/// The repair deadline passed as of `at` and the repair not reported: the workflow's
/// `repair_overdue`, read the same way.
fn repair_overdue(at: &str) -> String {
    format!("(clock_running AND status IN ('notified', 'in_repair') AND repair_deadline < {at})")
}

/// A `WHERE` clause being built: fixed SQL text, and every value bound as a numbered parameter.
#[derive(Default)]
struct Where {
    clause: Vec<String>,
    values: Params,
}

impl Where {
    /// Binds a value; returns its placeholder.
    fn bind(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    /// Adds a condition.
    fn push(&mut self, condition: impl Into<String>) {
        self.clause.push(condition.into());
    }

    /// `column = value`, when there is a value.
    fn eq(&mut self, column: &str, value: Option<String>) {
        if let Some(v) = value {
            let at = self.bind(v);
            self.push(format!("{column} = {at}"));
        }
    }
}

/// The `WHERE` clause of a case listing and its values, in order: the SQLite backend's
/// `case_where`, condition for condition.
fn case_where(filter: &CaseFilter) -> Where {
    let mut w = Where::default();
    if filter.projects.is_empty() {
        w.push("FALSE");
    } else {
        let projects: Vec<String> = filter.projects.iter().map(|p| p.to_string()).collect();
        let at = w.bind(projects);
        w.push(format!("project_id = ANY({at})"));
    }
    w.eq(
        "unit_id",
        filter.unit.as_ref().map(|u| u.as_str().to_owned()),
    );
    w.eq(
        "contractor_id",
        filter.contractor.as_ref().map(|x| x.as_str().to_owned()),
    );
    w.eq("status", filter.status.as_ref().map(json_text));
    w.eq("severity", filter.severity.as_ref().map(json_text));
    w.eq("category", filter.category.clone());
    w.eq("origin", filter.origin.as_ref().map(json_text));
    w.eq("room", filter.room.clone());
    if let Some(text) = filter.text.as_deref().filter(|t| !t.is_empty()) {
        // strpos, not LIKE: a plain substring match, so Chinese text matches and `%` or `_` in
        // the search mean themselves (SQLite's `instr`).
        let at = w.bind(text.to_owned());
        w.push(format!("strpos(description, {at}) > 0"));
    }
    if let Some(at) = filter.overdue_at {
        let at = w.bind(at.0);
        w.push(format!(
            "({} OR {})",
            response_overdue(&at),
            repair_overdue(&at)
        ));
    }
    if let Some(from) = filter.created_from {
        let at = w.bind(from.0);
        w.push(format!("created_at >= {at}"));
    }
    if let Some(before) = filter.created_before {
        let at = w.bind(before.0);
        w.push(format!("created_at < {at}"));
    }
    match filter.queue {
        None => {}
        Some(Queue::Review) => w.push("(anomalies > 0 OR conflicts > 0)"),
        Some(Queue::EvidenceRequested) => w.push("open_evidence_requests > 0"),
        Some(Queue::EvidenceAfterAcceptance) => w.push("evidence_after_acceptance > 0"),
        Some(Queue::EmergencyRequired) => {
            w.push("(emergency_required AND status <> 'emergency_repair')")
        }
        // Fine statuses are stored by `json_text`, i.e. without JSON quotes. A voided fine
        // waits for nobody, an approved one for nobody any more.
        Some(Queue::FinesAwaitingApproval) => w.push(
            "EXISTS (SELECT 1 FROM fines WHERE fines.finding_id = cases.finding_id
                AND fines.unit_id = cases.unit_id AND fines.status IN ('drafted', 'leader_approved'))",
        ),
        // The same rule as the case page's flag (`web::merge::probable_duplicates`): same unit,
        // room and item, recorded within the window of each other, neither cancelled nor
        // merged. `cases_unit` keeps the inner query to the unit's few rows.
        Some(Queue::ProbableDuplicates) => {
            let window = w.bind(crate::store::DUPLICATE_WINDOW_MS);
            w.push(format!(
                "(status NOT IN ('merged', 'cancelled') AND EXISTS (SELECT 1 FROM cases other
                    WHERE other.unit_id = cases.unit_id AND other.project_id = cases.project_id
                    AND other.finding_id <> cases.finding_id
                    AND other.room = cases.room AND other.item = cases.item
                    AND other.status NOT IN ('merged', 'cancelled')
                    AND other.created_at BETWEEN cases.created_at - {window}
                        AND cases.created_at + {window}))"
            ));
        }
        Some(Queue::UrgentAwaitingNotice) => {
            w.push("(severity = 'S1' AND status IN ('open', 'reopened'))")
        }
        // The workflow's rule for `return_overdue`, read against `at` rather than the time the
        // row was projected: the current notice's return deadline (set at acceptance) passed,
        // it has not come back, and the case was neither cancelled nor merged.
        Some(Queue::NoticeNotReturned(at)) => {
            let at = w.bind(at.0);
            w.push(format!(
                "(return_deadline IS NOT NULL AND return_deadline < {at}
                  AND status NOT IN ('cancelled', 'merged')
                  AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.finding_id = cases.finding_id
                    AND n.unit_id = cases.unit_id AND n.current
                    AND n.returned_at IS NOT NULL))"
            ));
        }
        Some(Queue::CallbacksDue) => w.push("callback_due"),
        Some(Queue::ResponseOverdue(at)) => {
            let at = w.bind(at.0);
            w.push(response_overdue(&at));
        }
        Some(Queue::RepairOverdue(at)) => {
            let at = w.bind(at.0);
            w.push(repair_overdue(&at));
        }
    }
    if let Some(phone) = &filter.owner_phone {
        let at = w.bind(phone.clone());
        w.push(format!(
            "finding_id IN (SELECT finding_id FROM owner_contacts WHERE phone = {at})"
        ));
    }
    if let Some(name) = &filter.owner_name {
        let at = w.bind(name.clone());
        w.push(format!(
            "finding_id IN (SELECT finding_id FROM owner_contacts WHERE name = {at})"
        ));
    }
    if let Some(findings) = &filter.findings {
        let ids: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
        let at = w.bind(ids);
        w.push(format!("finding_id = ANY({at})"));
    }
    if let Some(units) = &filter.units {
        let ids: Vec<String> = units.iter().map(|u| u.to_string()).collect();
        let at = w.bind(ids);
        w.push(format!("unit_id = ANY({at})"));
    }
    if filter.open_only {
        w.push("(counts AND status NOT IN ('accepted', 'closed', 'cancelled', 'merged'))");
    }
    if filter.exclude_merged {
        w.push("status <> 'merged'");
    }
    w
}

#[async_trait]
impl CaseStore for PostgresStore {
    async fn cases(&self, filter: &CaseFilter, page: Page) -> StoreResult<Vec<CaseRecord>> {
        let mut w = case_where(filter);
        let order = case_order(filter.order);
        let limit = w.bind(i64::from(page.limit.min(500)));
        let offset = w.bind(i64::from(page.offset));
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE {} ORDER BY {order} LIMIT {limit} \
             OFFSET {offset}",
            w.clause.join(" AND ")
        );
        // Not a cached statement: the SQL varies with the filters.
        let client = self.conn().await?;
        let rows = client.query(&sql, &refs(&w.values)).await?;
        rows.iter().map(case_record).collect()
    }

    async fn case_count(&self, filter: &CaseFilter) -> StoreResult<u64> {
        let w = case_where(filter);
        let sql = format!(
            "SELECT COUNT(*) FROM cases WHERE {}",
            w.clause.join(" AND ")
        );
        let client = self.conn().await?;
        let n: i64 = client.query_one(&sql, &refs(&w.values)).await?.value(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn evidence_status(
        &self,
        projects: &[ProjectId],
        unit: Option<&UnitId>,
    ) -> StoreResult<EvidenceStatus> {
        let unit = unit.map(|u| u.as_str());
        let mut status = EvidenceStatus {
            referenced: 0,
            arrived: 0,
            missing: Vec::new(),
        };
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        for p in projects {
            let rows = query(
                &tx,
                "SELECT DISTINCT e.hash, b.hash IS NOT NULL FROM evidence_refs e
                 LEFT JOIN blobs b ON b.hash = e.hash
                 WHERE e.project_id = $1 AND ($2::TEXT IS NULL OR e.unit_id = $2)
                 ORDER BY e.hash",
                &[&p.as_str(), &unit],
            )
            .await?;
            for r in &rows {
                status.referenced += 1;
                if r.value(1)? {
                    status.arrived += 1;
                } else {
                    let hash: String = r.value(0)?;
                    status.missing.push(
                        BlobHash::parse(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?,
                    );
                }
            }
        }
        tx.commit().await?;
        Ok(status)
    }

    async fn report_rows(&self, project: &ProjectId) -> StoreResult<ReportRows> {
        self.read_report_rows(project, None).await
    }

    async fn report_rows_of_units(
        &self,
        project: &ProjectId,
        units: &[UnitId],
    ) -> StoreResult<ReportRows> {
        self.read_report_rows(project, Some(units)).await
    }

    async fn projection_unit_versions(
        &self,
        project: &ProjectId,
    ) -> StoreResult<Vec<(UnitId, u64)>> {
        let client = self.conn().await?;
        query(
            &client,
            "SELECT unit_id, version FROM projection_versions WHERE project_id = $1",
            &[&project.as_str()],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.parsed(0, "unit id")?,
                u64::try_from(r.value::<i64>(1)?).unwrap_or_default(),
            ))
        })
        .collect()
    }

    async fn projection_version(&self, project: &ProjectId) -> StoreResult<ProjectionVersion> {
        let client = self.conn().await?;
        projection_version(&client, project.as_str()).await
    }

    /// By unit id (the SQLite backend leaves the order to its index).
    async fn unit_inspections(
        &self,
        project: &ProjectId,
    ) -> StoreResult<Vec<(UnitId, InspectionProgress)>> {
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT unit_id, rounds, most_marked FROM unit_inspections WHERE project_id = $1
             ORDER BY unit_id",
            &[&project.as_str()],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.parsed(0, "unit id")?,
                    InspectionProgress {
                        rounds: r.count(1)?,
                        most_marked: r.count(2)?,
                    },
                ))
            })
            .collect()
    }

    async fn units_with_stale_verdicts(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<(ProjectId, UnitId)>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.conn().await?;
        let rows = query(
            &client,
            "SELECT project_id, unit_id, MIN(verdicts_until) AS due FROM cases
             WHERE verdicts_until <= $1 GROUP BY project_id, unit_id
             ORDER BY due, project_id, unit_id LIMIT $2",
            &[&now.0, &limit],
        )
        .await?;
        rows.iter()
            .map(|r| Ok((r.parsed(0, "project id")?, r.parsed(1, "unit id")?)))
            .collect()
    }

    async fn next_verdict_change(&self) -> StoreResult<Option<Timestamp>> {
        let client = self.conn().await?;
        // The condition lets PostgreSQL answer from the partial index instead of a scan.
        let next: Option<i64> = query(
            &client,
            "SELECT MIN(verdicts_until) FROM cases WHERE verdicts_until IS NOT NULL",
            &[],
        )
        .await?
        .first()
        .map(|r| r.value(0))
        .transpose()?
        .flatten();
        Ok(next.map(Timestamp))
    }

    async fn mark_project_due(&self, project: &ProjectId) -> StoreResult<u64> {
        let client = self.conn().await?;
        execute(
            &client,
            "UPDATE cases SET verdicts_until = 0 WHERE project_id = $1",
            &[&project.as_str()],
        )
        .await
    }
}

impl PostgresStore {
    /// The report rows of `project`, or of its `units` only, every table read on one
    /// snapshot so the figures agree with each other and with the version read first.
    async fn read_report_rows(
        &self,
        project: &ProjectId,
        units: Option<&[UnitId]>,
    ) -> StoreResult<ReportRows> {
        let p = project.as_str();
        let units: Option<Vec<&str>> = units.map(|u| u.iter().map(UnitId::as_str).collect());
        let mut client = self.conn().await?;
        let tx = read_only(&mut client).await?;
        let version = projection_version(&tx, p).await?;
        // Every query takes the project as $1 and the units, when scoped, as $2.
        let scope = |alias: &str| {
            if units.is_some() {
                format!("AND {alias}unit_id = ANY($2)")
            } else {
                String::new()
            }
        };
        let values: Vec<&(dyn ToSql + Sync)> = match &units {
            Some(units) => vec![&p, units],
            None => vec![&p],
        };
        let values = values.as_slice();
        let cases = query(
            &tx,
            &format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE project_id = $1 {} ORDER BY finding_id",
                scope("")
            ),
            values,
        )
        .await?
        .iter()
        .map(case_record)
        .collect::<StoreResult<Vec<_>>>()?;
        let notices = query(
            &tx,
            &format!(
                "SELECT n.notice_no, n.finding_id, n.contractor_id, n.issued_at,
                    n.response_deadline, n.responded_at, n.repair_deadline, n.repair_reported_at,
                    n.accepted_at, n.returned_at, n.current, n.first_reported_at, n.stopped_at,
                    n.failed_acceptances
                 FROM notices n JOIN cases c ON c.finding_id = n.finding_id
                 WHERE c.project_id = $1 {} ORDER BY n.finding_id, n.issued_at, n.notice_no",
                scope("n.")
            ),
            values,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(NoticeRow {
                notice_no: r.value(0)?,
                finding: r.parsed(1, "finding id")?,
                contractor: r.parsed(2, "contractor id")?,
                issued_at: r.time(3)?,
                response_deadline: r.time(4)?,
                responded_at: r.time_opt(5)?,
                repair_deadline: r.time(6)?,
                repair_reported_at: r.time_opt(7)?,
                accepted_at: r.time_opt(8)?,
                returned_at: r.time_opt(9)?,
                current: r.value(10)?,
                first_reported_at: r.time_opt(11)?,
                stopped_at: r.time_opt(12)?,
                failed_acceptances: r.count(13)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let fines = query(
            &tx,
            &format!(
                "SELECT f.fine_id, f.finding_id, f.contractor_id, f.condition, f.amount_fen,
                    f.status, f.drafted_at
                 FROM fines f JOIN cases c ON c.finding_id = f.finding_id
                 WHERE c.project_id = $1 {} ORDER BY f.finding_id, f.fine_id",
                scope("f.")
            ),
            values,
        )
        .await?
        .iter()
        .map(|r| {
            let number: i64 = r.value(3)?;
            let condition = PenaltyCondition::ALL
                .into_iter()
                .find(|k| i64::from(k.number()) == number)
                .ok_or_else(|| {
                    StoreError::Other(anyhow::anyhow!("penalty condition {number} does not exist"))
                })?;
            Ok(FineRow {
                fine: r.parsed(0, "fine id")?,
                finding: r.parsed(1, "finding id")?,
                contractor: r.parsed(2, "contractor id")?,
                condition,
                amount_fen: r.value(4)?,
                status: from_json_text(r.value(5)?)?,
                drafted_at: r.time(6)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let callbacks = query(
            &tx,
            &format!(
                "SELECT b.event_id, b.finding_id, b.at, b.channel, b.level
                 FROM callbacks b JOIN cases c ON c.finding_id = b.finding_id
                 WHERE c.project_id = $1 {} ORDER BY b.finding_id, b.at, b.event_id",
                scope("b.")
            ),
            values,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(CallbackRow {
                event: r.parsed(0, "event id")?,
                finding: r.parsed(1, "finding id")?,
                at: r.time(2)?,
                channel: from_json_text(r.value(3)?)?,
                level: from_json_text(r.value(4)?)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let emergencies = query(
            &tx,
            &format!(
                "SELECT e.finding_id, e.team, e.charged_to, e.started_at, e.finished_at, e.cost_fen
                 FROM emergency_repairs e JOIN cases c ON c.finding_id = e.finding_id
                 WHERE c.project_id = $1 {} ORDER BY e.finding_id, e.seq",
                scope("e.")
            ),
            values,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(EmergencyRow {
                finding: r.parsed(0, "finding id")?,
                team: r.value(1)?,
                charged_to: r.parsed_opt(2, "contractor id")?,
                started_at: r.time(3)?,
                finished_at: r.time_opt(4)?,
                cost_fen: r.value(5)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let photos = query(
            &tx,
            &format!(
                "SELECT hash, finding_id, bytes, captured_at, thumb_hash FROM evidence_refs
                 WHERE project_id = $1 {} ORDER BY finding_id, captured_at, hash",
                scope("")
            ),
            values,
        )
        .await?
        .iter()
        .map(|r| {
            Ok(EvidenceRow {
                hash: r.parsed(0, "blob hash")?,
                finding: r.parsed(1, "finding id")?,
                bytes: u64::try_from(r.value::<i64>(2)?).unwrap_or(0),
                captured_at: r.time(3)?,
                thumbnail: r.parsed_opt(4, "blob hash")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        tx.commit().await?;
        Ok(ReportRows {
            version,
            cases,
            notices,
            fines,
            callbacks,
            emergencies,
            photos,
        })
    }
}
