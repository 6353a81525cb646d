//! The report pages' rows and settled reports, kept between requests.
//!
//! A report page of a project of 1,000 units reads 20,000 case rows with their notices, fines,
//! callbacks and photos (about 250 ms) and computes the month from them (about 100 ms), and the
//! office opens the same month's pages and the lists behind its figures again and again between
//! two syncs. So each project's rows are kept with the projection version they were read at
//! ([`ProjectionVersion`]), and each month's settled report ([`Settled`]) beside them.
//!
//! Every request first reads the project's version, one indexed sum that moves with every
//! write of the project's rows by any replica (the `projection_versions` table, bumped in the
//! writing transaction). When it moved, the rows are read again and the settled reports go.
//! The part of a report that depends on the instant it is read (the backlog while the month
//! runs, deadlines kept, missed or pending) is computed at every request with
//! [`Settled::at`], so a page from the cache is the report a full recomputation gives at that
//! instant, never an older one.
//!
//! The project document (units, contractors, suggestion notes) is part of the key: a settled
//! report is used only with a project equal to the one it was computed with. At most
//! [`PROJECTS`] projects (the least recently used go first) and [`MONTHS`] settled reports per
//! project (the oldest go first) are kept.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use plumbline_shared::ids::{ProjectId, UnitId};
use plumbline_shared::project::Project;
use plumbline_shared::time::Timestamp;

use crate::reports::{Report, ReportInput, ReportParams, Settled, settle};
use crate::store::{ProjectionVersion, ReportRows, Store, StoreResult};

/// Projects whose rows are kept (a few megabytes each at 20,000 cases).
pub const PROJECTS: usize = 4;
/// Settled reports kept per project (months and thresholds asked for).
pub const MONTHS: usize = 6;

/// What every report of a project is computed from, as read at one projection version.
#[derive(Debug)]
struct Source {
    rows: ReportRows,
    /// Units inspected: those with an inspection round, or any finding at all (a complaint
    /// after handover is a look at the unit too), so a project with findings has a share.
    inspected: BTreeSet<UnitId>,
}

impl Source {
    async fn load(store: &dyn Store, project: &ProjectId) -> StoreResult<Self> {
        let rows = store.report_rows(project).await?;
        let mut inspected: BTreeSet<UnitId> = store
            .unit_inspections(project)
            .await?
            .into_iter()
            .filter(|(_, p)| p.rounds > 0)
            .map(|(u, _)| u)
            .collect();
        inspected.extend(rows.cases.iter().map(|c| c.unit.clone()));
        Ok(Self { rows, inspected })
    }

    fn version(&self) -> ProjectionVersion {
        self.rows.version
    }
}

/// Every report of `project` for `params` at `now`, read and computed from the store with
/// nothing kept: what [`ReportCache::report`] must always equal (the tests compare the two).
pub async fn uncached(
    store: &dyn Store,
    project: &Project,
    params: &ReportParams,
    now: Timestamp,
) -> StoreResult<Report> {
    let source = Source::load(store, &project.id).await?;
    Ok(crate::reports::compute(
        &ReportInput {
            project,
            rows: &source.rows,
            inspected: &source.inspected,
            now,
        },
        params,
    ))
}

/// One project's kept rows and settled reports.
#[derive(Debug)]
struct Entry {
    project: ProjectId,
    source: Arc<Source>,
    /// Settled reports, with the project document each was computed with.
    settled: Vec<(ReportParams, Arc<Project>, Arc<Settled>)>,
    used: u64,
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct ReportCache {
    entries: Mutex<Vec<Entry>>,
    tick: AtomicU64,
}

impl ReportCache {
    /// Every report of `project` for `params` at `now`, from the kept rows and settled report
    /// when the project's rows and document have not changed since, else from the store.
    pub async fn report(
        &self,
        store: &dyn Store,
        project: Project,
        params: &ReportParams,
        now: Timestamp,
    ) -> StoreResult<(Project, Report)> {
        let version = store.projection_version(&project.id).await?;
        let (source, settled) = self.lookup(&project, version, params);
        let source = match source {
            Some(source) => source,
            None => {
                let source = Arc::new(Source::load(store, &project.id).await?);
                self.keep_source(&project.id, source.clone());
                source
            }
        };
        let input = ReportInput {
            project: &project,
            rows: &source.rows,
            inspected: &source.inspected,
            now,
        };
        let settled = match settled {
            Some(settled) => settled,
            None => {
                let settled = Arc::new(settle(&input, params));
                self.keep_settled(&project, &source, params, settled.clone());
                settled
            }
        };
        let report = settled.at(&input);
        Ok((project, report))
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed)
    }

    /// The kept rows of `project` if they are at `version`, and its settled report for
    /// `params` if it was computed from them and an equal project document.
    fn lookup(
        &self,
        project: &Project,
        version: ProjectionVersion,
        params: &ReportParams,
    ) -> (Option<Arc<Source>>, Option<Arc<Settled>>) {
        let tick = self.next_tick();
        let mut entries = self.entries();
        let Some(entry) = entries
            .iter_mut()
            .find(|e| e.project == project.id && e.source.version() == version)
        else {
            return (None, None);
        };
        entry.used = tick;
        let settled = entry
            .settled
            .iter()
            .find(|(p, doc, _)| p == params && **doc == *project)
            .map(|(_, _, s)| s.clone());
        (Some(entry.source.clone()), settled)
    }

    /// Keeps freshly read rows of `project`, unless rows at least as new are kept already.
    fn keep_source(&self, project: &ProjectId, source: Arc<Source>) {
        let tick = self.next_tick();
        let mut entries = self.entries();
        if let Some(entry) = entries.iter_mut().find(|e| &e.project == project) {
            if entry.source.version().writes <= source.version().writes {
                if entry.source.version() != source.version() {
                    entry.settled.clear();
                }
                entry.source = source;
            }
            entry.used = tick;
            return;
        }
        if entries.len() >= PROJECTS
            && let Some(oldest) = entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.used)
                .map(|(i, _)| i)
        {
            entries.swap_remove(oldest);
        }
        entries.push(Entry {
            project: project.clone(),
            source,
            settled: Vec::new(),
            used: tick,
        });
    }

    /// Keeps a settled report computed from `source` and `project`, while those rows are
    /// still the kept ones.
    fn keep_settled(
        &self,
        project: &Project,
        source: &Arc<Source>,
        params: &ReportParams,
        settled: Arc<Settled>,
    ) {
        let mut entries = self.entries();
        let Some(entry) = entries
            .iter_mut()
            .find(|e| e.project == project.id && Arc::ptr_eq(&e.source, source))
        else {
            return;
        };
        entry.settled.retain(|(p, _, _)| p != params);
        if entry.settled.len() >= MONTHS {
            entry.settled.remove(0);
        }
        entry
            .settled
            .push((*params, Arc::new(project.clone()), settled));
    }
}
