//! `GET /cases/{unit}/{finding}/notice` and `…/notice/pdf`: the 工程整改通知单 of a case's
//! current notice, as a print view and as an A4 PDF file.
//!
//! The form follows the department's paper: number, project and unit, the contractor, the
//! defect with its photos' capture times, the requirement, the 4-hour response deadline and
//! the repair deadline, who issued it and when, who signed for it and when, the contractor's
//! reply (result and completion date) and the acceptance's verdict. Lines not yet filled on the
//! case are left blank to be written in by hand. The inspector's photos follow as thumbnails
//! with their capture times, and a QR code holds the case's address for a signed-in person.
//!
//! Office staff of the project print any notice; a contractor's foreman prints only the notices
//! addressed to their own company, and another company's is answered as if it did not exist.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::doc::evidence::EvidenceKind;
use plumbline_shared::event::{Event, EventKind};
use plumbline_shared::ids::{BlobHash, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::time::Timestamp;

use super::admin::enrollment::server_address;
use super::case_load::{load_for_page, not_found};
use super::fines::display_names;
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, render};
use super::qr::{qr_png, qr_svg};
use super::session::Staff;
use super::when::beijing;
use crate::blobs::read_thumbnail;
use crate::paper::{BLANK, Block, Photo};
use crate::state::AppState;

/// The notice as the form shows it, in words.
struct NoticeSheet {
    lang: Lang,
    /// (label, value) rows in the form's order; blanks where nothing is recorded yet.
    facts: Vec<(String, String)>,
    notice_no: String,
    /// The case's address, for the QR code; none on a foreman's copy (the case page is the
    /// office's).
    address: Option<String>,
    /// The photos, oldest first: hash, capture time, whether the server holds it.
    photos: Vec<(BlobHash, Timestamp, bool)>,
}

/// Who appended `event` and when, as "name · time".
fn signed(event: &Event, names: &std::collections::BTreeMap<UserId, String>) -> String {
    let who = names
        .get(&event.actor.user)
        .cloned()
        .unwrap_or_else(|| event.actor.user.to_string());
    format!("{who} · {}", beijing(event.at))
}

impl NoticeSheet {
    async fn load(
        state: &AppState,
        staff: &Staff,
        headers: &HeaderMap,
        (unit, finding): (String, String),
    ) -> Result<Self, Response> {
        let (unit, _, loaded) = load_for_page(state, staff, &unit, &finding).await?;
        let Some(membership) = staff
            .memberships
            .iter()
            .find(|m| m.project == loaded.project.id)
        else {
            return Err(not_found(staff));
        };
        let Some(notice) = loaded.state.notice.clone() else {
            return Err(not_found(staff));
        };
        // A foreman prints his own company's notices, and learns nothing of the others'.
        if membership.role == Role::Contractor
            && membership.contractor.as_ref() != Some(&notice.contractor)
        {
            tracing::warn!(user = %staff.user, notice = %notice.notice_no, "another company's notice refused");
            return Err(not_found(staff));
        }
        let lang = staff.lang;
        let f = &loaded.finding;
        // The events of this notice: from its issue (or reassignment) on.
        let mut events: Vec<&Event> = f.events.iter().collect();
        events.sort_by_key(|e| (e.at, e.id.clone()));
        let start = events.iter().rposition(|e| match &e.kind {
            EventKind::NoticeIssued { notice_no, .. } | EventKind::Reassigned { notice_no, .. } => {
                notice_no == &notice.notice_no
            }
            _ => false,
        });
        let events = &events[start.unwrap_or(0)..];
        let users: BTreeSet<UserId> = events.iter().map(|e| e.actor.user.clone()).collect();
        let names = display_names(state, users).await.map_err(internal)?;
        let find = |want: fn(&EventKind) -> bool| events.iter().rev().find(|e| want(&e.kind));
        let issued = events.first().map(|e| signed(e, &names));
        let received =
            find(|k| matches!(k, EventKind::ContractorResponded { .. })).map(|e| signed(e, &names));
        let reply = find(|k| matches!(k, EventKind::RepairReported { .. })).map(|e| {
            let note = match &e.kind {
                EventKind::RepairReported { note, .. } => note.clone(),
                _ => String::new(),
            };
            (note, beijing(e.at))
        });
        let verdict = find(|k| {
            matches!(
                k,
                EventKind::AcceptancePassed { .. } | EventKind::AcceptanceFailed { .. }
            )
        })
        .map(|e| {
            let (word, text) = match &e.kind {
                EventKind::AcceptancePassed { note } => (Msg::AcceptancePassedWord, note),
                EventKind::AcceptanceFailed { reason } => (Msg::AcceptanceFailedWord, reason),
                _ => unreachable!("found by kind just above"),
            };
            format!("{}：{text}（{}）", word.text(lang), signed(e, &names))
        });
        let contractor = loaded
            .project
            .contractors
            .iter()
            .find(|c| c.id == notice.contractor)
            .map_or_else(|| notice.contractor.to_string(), |c| c.name.clone());
        let mut photos: Vec<Timestamp> = f.evidence.values().map(|e| e.captured_at).collect();
        photos.sort();
        let photos = if photos.is_empty() {
            Msg::NoPhotos.text(lang).to_owned()
        } else {
            format!(
                "{} {}：{}",
                photos.len(),
                Msg::PhotosTaken.text(lang),
                photos
                    .iter()
                    .map(|t| beijing(*t))
                    .collect::<Vec<_>>()
                    .join("；")
            )
        };
        let blank = || BLANK.to_owned();
        let facts = vec![
            (
                Msg::Project.text(lang).to_owned(),
                lang.pick(&loaded.project.name_zh, &loaded.project.name_en)
                    .to_owned(),
            ),
            (
                Msg::Unit.text(lang).to_owned(),
                labels::unit(&loaded.project, &unit),
            ),
            (Msg::Contractor.text(lang).to_owned(), contractor),
            (
                Msg::Room.text(lang).to_owned(),
                format!(
                    "{} / {}",
                    labels::room(lang, f.room.as_str()),
                    labels::item(lang, f.item.as_str())
                ),
            ),
            (
                Msg::Severity.text(lang).to_owned(),
                lang.pick(f.severity.label_zh(), f.severity.label_en())
                    .to_owned(),
            ),
            (
                Msg::Description.text(lang).to_owned(),
                f.description.clone(),
            ),
            (Msg::Photos.text(lang).to_owned(), photos),
            (
                Msg::Requirement.text(lang).to_owned(),
                Msg::RequirementText.text(lang).to_owned(),
            ),
            (
                Msg::ResponseDue.text(lang).to_owned(),
                beijing(notice.response_deadline),
            ),
            (
                Msg::Deadline.text(lang).to_owned(),
                beijing(notice.repair_deadline),
            ),
            (
                Msg::IssuedBy.text(lang).to_owned(),
                issued.unwrap_or_else(|| beijing(notice.issued_at)),
            ),
            (
                Msg::ReceivedBy.text(lang).to_owned(),
                received.unwrap_or_else(blank),
            ),
            (
                Msg::RepairResult.text(lang).to_owned(),
                reply.as_ref().map_or_else(blank, |(note, _)| note.clone()),
            ),
            (
                Msg::CompletedOn.text(lang).to_owned(),
                reply.map_or_else(blank, |(_, at)| at),
            ),
            (
                Msg::ReinspectionVerdict.text(lang).to_owned(),
                verdict.unwrap_or_else(blank),
            ),
        ];
        let mut shots: Vec<(BlobHash, Timestamp)> = f
            .evidence
            .iter()
            .filter(|(_, e)| e.kind == EvidenceKind::Photo)
            .map(|(hash, e)| (hash.clone(), e.captured_at))
            .collect();
        shots.sort_by_key(|(hash, at)| (*at, hash.clone()));
        let mut photos = Vec::with_capacity(shots.len());
        for (hash, at) in shots {
            let held = state.store.blob_exists(&hash).await.map_err(internal)?;
            photos.push((hash, at, held));
        }
        let path = format!("/cases/{unit}/{}", f.id);
        Ok(Self {
            lang,
            facts,
            notice_no: notice.notice_no,
            address: (membership.role != Role::Contractor)
                .then(|| format!("{}{path}", server_address(&state.config, headers))),
            photos,
        })
    }

    /// The PDF's blocks, with the photos' thumbnails read from the object store.
    async fn blocks(&self, state: &AppState) -> Result<Vec<Block>, Response> {
        let lang = self.lang;
        let mut photos = Vec::with_capacity(self.photos.len());
        for (hash, at, held) in &self.photos {
            let jpeg = if *held {
                read_thumbnail(&*state.blobs, hash)
                    .await
                    .map_err(internal)?
                    .map(|b| b.to_vec())
            } else {
                None
            };
            let caption = if *held {
                beijing(*at)
            } else {
                format!("{} · {}", beijing(*at), Msg::NotArrived.text(lang))
            };
            photos.push(Photo { jpeg, caption });
        }
        let mut blocks = vec![
            Block::Title(Msg::NoticeTitle.text(lang).to_owned()),
            Block::Rows(vec![(
                Msg::NoticeNo.text(lang).to_owned(),
                self.notice_no.clone(),
            )]),
            Block::Rows(self.facts.clone()),
        ];
        if !photos.is_empty() {
            blocks.push(Block::Photos(photos));
        }
        blocks.push(Block::Paragraph(Msg::ReplyLine.text(lang).to_owned()));
        if let Some(address) = &self.address {
            blocks.extend([
                Block::Image {
                    png: qr_png(address, 3).map_err(internal)?,
                    width: 96.0,
                },
                Block::Paragraph(Msg::ScanToOpen.text(lang).to_owned()),
            ]);
        }
        Ok(blocks)
    }
}

/// `GET /cases/{unit}/{finding}/notice`: the print view.
pub async fn print_notice(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(ids): Path<(String, String)>,
) -> Response {
    let pdf = format!("/cases/{}/{}/notice/pdf", ids.0, ids.1);
    let sheet = match NoticeSheet::load(&state, &staff, &headers, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = sheet.lang;
    let svg = match sheet.address.as_deref().map(qr_svg).transpose() {
        Ok(svg) => svg,
        Err(e) => return internal(e),
    };
    let body = rsx! {
        article { class: "notice",
            if let Some(svg) = svg {
                div { id: "notice-qr", class: "qr", style: "float:right;width:110px;text-align:center;font-size:.75rem",
                    div { dangerous_inner_html: "{svg}" }
                    {Msg::ScanToOpen.text(lang)}
                }
            }
            h1 { style: "text-align:center", {Msg::NoticeTitle.text(lang)} }
            p { class: "noprint", a { id: "notice-pdf", href: "{pdf}", {Msg::DownloadPdf.text(lang)} } }
            p { {Msg::NoticeNo.text(lang)} "：" span { id: "notice-no", "{sheet.notice_no}" } }
            table {
                for (label, value) in sheet.facts.iter() {
                    tr { th { "{label}" } td { "{value}" } }
                }
            }
            if !sheet.photos.is_empty() {
                div { id: "notice-photos", style: "display:grid;grid-template-columns:repeat(3,1fr);gap:.5rem;margin-top:.8rem",
                    for (hash, at, held) in sheet.photos.iter() {
                        figure { style: "margin:0",
                            if *held {
                                img { src: "/photos/{hash}/thumb", alt: "", style: "width:100%" }
                            }
                            figcaption { style: "font-size:.8rem",
                                {beijing(*at)}
                                if !*held { " · " {Msg::NotArrived.text(lang)} }
                            }
                        }
                    }
                }
            }
            p { style: "margin-top:3rem", {Msg::ReplyLine.text(lang)} }
        }
    };
    render(
        lang,
        Msg::NoticeTitle.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

/// `GET /cases/{unit}/{finding}/notice/pdf`: the same notice as an A4 PDF file.
pub async fn notice_pdf(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(ids): Path<(String, String)>,
) -> Response {
    let sheet = match NoticeSheet::load(&state, &staff, &headers, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let blocks = match sheet.blocks(&state).await {
        Ok(b) => b,
        Err(page) => return page,
    };
    let file = format!("notice-{}.pdf", sheet.notice_no);
    super::paper_file::answer(&state, &staff, blocks, &file).await
}
