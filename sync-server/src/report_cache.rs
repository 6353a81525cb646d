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
//! writing transaction). When it moved, the settled reports go and the rows are brought up to
//! date: each unit's own write count says which units were written since, and only their rows
//! are read again and put in place of theirs; when more than a quarter moved, everything is
//! read. At 1,000 units a sync's few units cost about 25 ms (reading every unit's count,
//! copying and sorting the kept rows) where reading the project costs about 300.
//! The part of a report that depends on the instant it is read (the backlog while the month
//! runs, deadlines kept, missed or pending) is computed at every request with
//! [`Settled::at`], so a page from the cache is the report a full recomputation gives at that
//! instant, never an older one.
//!
//! The project document (units, contractors, suggestion notes) is part of the key: a settled
//! report is used only with a project equal to the one it was computed with. At most
//! [`PROJECTS`] projects (the least recently used go first) and [`MONTHS`] settled reports per
//! project (the oldest go first) are kept.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Each projected unit's write count, read before the rows: the rows are at least as new.
    units: BTreeMap<UnitId, u64>,
    /// How the rows were read.
    read: Read,
}

/// How a [`Source`]'s rows were read.
#[derive(Debug, Clone, Copy)]
enum Read {
    /// All of them.
    Whole,
    /// Those of the units written since the rows before, the others kept.
    Units,
}

impl Source {
    async fn load(store: &dyn Store, project: &ProjectId) -> StoreResult<Self> {
        let units = store
            .projection_unit_versions(project)
            .await?
            .into_iter()
            .collect();
        let rows = store.report_rows(project).await?;
        Self::with_rows(store, project, rows, units, Read::Whole).await
    }

    async fn with_rows(
        store: &dyn Store,
        project: &ProjectId,
        mut rows: ReportRows,
        units: BTreeMap<UnitId, u64>,
        read: Read,
    ) -> StoreResult<Self> {
        rows.sort_by_finding();
        let mut inspected: BTreeSet<UnitId> = store
            .unit_inspections(project)
            .await?
            .into_iter()
            .filter(|(_, p)| p.rounds > 0)
            .map(|(u, _)| u)
            .collect();
        inspected.extend(rows.cases.iter().map(|c| c.unit.clone()));
        Ok(Self {
            rows,
            inspected,
            units,
            read,
        })
    }

    /// These rows brought up to date: the rows of the units written since they were read are
    /// read again and put in place of theirs, so one sync costs its units' rows rather than the
    /// project's. When more than a quarter of the units moved, everything is read again.
    async fn refresh(
        self: &Arc<Self>,
        store: &dyn Store,
        project: &ProjectId,
    ) -> StoreResult<Arc<Self>> {
        let units: BTreeMap<UnitId, u64> = store
            .projection_unit_versions(project)
            .await?
            .into_iter()
            .collect();
        let mut moved: Vec<UnitId> = units
            .iter()
            .filter(|(unit, writes)| self.units.get(*unit) != Some(*writes))
            .map(|(unit, _)| unit.clone())
            .collect();
        moved.extend(
            self.units
                .keys()
                .filter(|unit| !units.contains_key(*unit))
                .cloned(),
        );
        if moved.is_empty() {
            // The version asked about was older than these rows.
            return Ok(self.clone());
        }
        if moved.len() > units.len() / 4 {
            let rows = store.report_rows(project).await?;
            return Ok(Arc::new(
                Self::with_rows(store, project, rows, units, Read::Whole).await?,
            ));
        }
        tracing::debug!(%project, units = moved.len(), "report rows: reading the units written since");
        let fresh = store.report_rows_of_units(project, &moved).await?;
        let mut rows = self.rows.without_units(&moved.into_iter().collect());
        rows.version = fresh.version;
        rows.append(fresh);
        Ok(Arc::new(
            Self::with_rows(store, project, rows, units, Read::Units).await?,
        ))
    }

    /// The version the rows are at: the count and sum of the units' writes read before them.
    fn version(&self) -> ProjectionVersion {
        ProjectionVersion {
            units: self.units.len() as u64,
            writes: self.units.values().sum(),
        }
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
    whole_reads: AtomicU64,
    unit_reads: AtomicU64,
}

/// How a [`ReportCache`] has read rows so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Every row of a project.
    pub whole: u64,
    /// The rows of the units written since the kept ones were read.
    pub units: u64,
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
        let (kept, settled) = self.lookup(&project, params);
        let (source, settled) = match kept {
            Some(kept) if kept.version() == version => (kept, settled),
            Some(older) => {
                let source = older.refresh(store, &project.id).await?;
                if Arc::ptr_eq(&source, &older) {
                    (source, settled)
                } else {
                    self.count_read(source.read);
                    self.keep_source(&project.id, source.clone());
                    (source, None)
                }
            }
            None => {
                let source = Arc::new(Source::load(store, &project.id).await?);
                self.count_read(source.read);
                self.keep_source(&project.id, source.clone());
                (source, None)
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

    fn count_read(&self, read: Read) {
        let counter = match read {
            Read::Whole => &self.whole_reads,
            Read::Units => &self.unit_reads,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// How rows have been read so far (for tests and tracing).
    pub fn reads(&self) -> Reads {
        Reads {
            whole: self.whole_reads.load(Ordering::Relaxed),
            units: self.unit_reads.load(Ordering::Relaxed),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed)
    }

    /// The kept rows of `project`, whatever their version, and its settled report for
    /// `params` if it was computed from them and an equal project document.
    fn lookup(
        &self,
        project: &Project,
        params: &ReportParams,
    ) -> (Option<Arc<Source>>, Option<Arc<Settled>>) {
        let tick = self.next_tick();
        let mut entries = self.entries();
        let Some(entry) = entries.iter_mut().find(|e| e.project == project.id) else {
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

    /// Keeps the rows of `project` just read in place of the kept ones, and the settled
    /// reports only if they are the same rows: two reads at one version may still differ
    /// (rows are at least as new as their version, and a write may land between two reads).
    /// Replacing newer rows with older ones costs the next request a refresh, never a wrong
    /// page: every request checks the version first.
    fn keep_source(&self, project: &ProjectId, source: Arc<Source>) {
        let tick = self.next_tick();
        let mut entries = self.entries();
        if let Some(entry) = entries.iter_mut().find(|e| &e.project == project) {
            if !Arc::ptr_eq(&entry.source, &source) {
                entry.settled.clear();
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
