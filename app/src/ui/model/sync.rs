//! The sync screen's content: when the phone last reached the server, what is still only on
//! the phone, how far a running sync is, and every failure in words.

use plumbline_shared::time::Timestamp;

use crate::events::{Outbox, SyncProgress, SyncStatus};
use crate::local_records::UploadState;
use crate::local_records::{SetAsideWork, WorkKind};
use crate::ui::i18n::{Lang, Msg};

/// One photo still on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoLine {
    /// A short name (the start of its hash).
    pub name: String,
    /// Waiting, uploading (with percent) or failed.
    pub state: String,
    /// Percent uploaded.
    pub percent: u8,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// A batch of refused work, set aside (see `crate::set_aside`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAsideLine {
    /// Its number, for the export.
    pub id: i64,
    /// The unit (or document) it was for.
    pub doc: String,
    /// When it was set aside.
    pub when: String,
    /// The server's reason.
    pub reason: String,
    /// What it did, one line per finding or round.
    pub work: Vec<String>,
}

/// What the sync screen shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncView {
    /// The last sync that finished, or "never".
    pub last_sync: String,
    /// Documents with unsynced changes.
    pub records: usize,
    /// Photos not confirmed by the server.
    pub photos: Vec<PhotoLine>,
    /// Percent done of a running sync (`None`: not running).
    pub running: Option<u8>,
    /// Failures, in words: the last sync's error and each refusal.
    pub failures: Vec<String>,
    /// The server signed this phone out.
    pub signed_out: bool,
    /// Refused work set aside, newest first.
    pub set_aside: Vec<SetAsideLine>,
}

impl SyncView {
    /// Whether everything is on the server.
    pub fn all_synced(&self) -> bool {
        self.records == 0 && self.photos.is_empty()
    }
}

/// The share of a running sync that is done, weighing records and photo bytes alike.
pub fn progress_percent(p: &SyncProgress) -> u8 {
    let total = p.docs_total as u64 + p.bytes_total;
    if total == 0 {
        return 0;
    }
    let done = (p.docs_done as u64).min(p.docs_total as u64) + p.bytes_sent.min(p.bytes_total);
    u8::try_from(done * 100 / total).unwrap_or(100)
}

/// The view from the engine's state; `progress` is the running sync's last report.
pub fn sync_view(
    status: &SyncStatus,
    outbox: &Outbox,
    progress: Option<&SyncProgress>,
    lang: Lang,
) -> SyncView {
    let mut failures = Vec::new();
    if let Some(error) = &status.last_error {
        // A network failure is said in the person's words; anything else keeps the detail,
        // which names what to do (the server's sentence, the damaged record).
        failures.push(if status.last_error_transient {
            Msg::ErrOffline.text(lang).to_owned()
        } else {
            format!("{}: {error}", Msg::SyncFailed.text(lang))
        });
    }
    for action in &outbox.actions {
        if let Some(reason) = &action.refused {
            failures.push(format!("{}: {reason}", Msg::RefusedByServer.text(lang)));
        }
    }
    for record in &outbox.records {
        if let Some(reason) = &record.refused {
            failures.push(format!(
                "{} {}: {reason}",
                Msg::RefusedByServer.text(lang),
                record.doc
            ));
        }
    }
    SyncView {
        last_sync: status
            .last_success
            .map_or_else(|| Msg::Never.text(lang).to_owned(), Timestamp::china_minute),
        records: outbox.records.len() + outbox.actions.len(),
        photos: outbox
            .photos
            .iter()
            .map(|p| PhotoLine {
                name: p.hash.to_string().chars().take(8).collect(),
                state: match p.state {
                    UploadState::Uploading => Msg::Uploading,
                    UploadState::Failed => Msg::Failed,
                    UploadState::Queued | UploadState::Sent => Msg::Waiting,
                }
                .text(lang)
                .to_owned(),
                percent: p.percent,
                error: p.error.clone(),
            })
            .collect(),
        running: status.running.then(|| progress.map_or(0, progress_percent)),
        failures,
        signed_out: status.signed_out,
        set_aside: outbox
            .set_aside
            .iter()
            .map(|batch| SetAsideLine {
                id: batch.id,
                doc: batch.doc.to_string(),
                when: batch.at.china_minute(),
                reason: batch.reason.clone(),
                work: batch.work.iter().map(|w| work_line(w, lang)).collect(),
            })
            .collect(),
    }
}

/// One piece of set-aside work in words.
fn work_line(work: &SetAsideWork, lang: Lang) -> String {
    let kind = match work.kind {
        WorkKind::NewFinding => Msg::SetAsideNew,
        WorkKind::ChangedFinding => Msg::SetAsideChanged,
        WorkKind::Rounds => Msg::SetAsideRounds,
        WorkKind::Other => Msg::SetAsideOther,
    }
    .text(lang);
    if work.description.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}{}{}", lang.pick("：", ": "), work.description)
    }
}
