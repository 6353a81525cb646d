//! `GET /units/{unit}/walks/{walk}` and `…/pdf`: the 验房确认单 of an owner's signed walk, as
//! a print view and as an A4 PDF file.
//!
//! Both reproduce exactly what the owner signed (the snapshot in the unit document, never the
//! findings as they are now), the signature image and the snapshot's BLAKE3 hash, so the paper
//! and the record can be checked against each other. When a signed finding changed since, the
//! sheet says so and names it; the signed list itself is not touched.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::doc::walk::SnapshotFinding;
use plumbline_shared::ids::{UnitId, WalkId};
use plumbline_shared::role::Role;

use super::case_load::{load_project, not_found};
use super::fines::display_names;
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, render};
use super::session::Staff;
use super::when::beijing;
use crate::case_read::{WalkStatus, load_walks};
use crate::paper::Block;
use crate::state::AppState;

/// The words for one kind of change ([`plumbline_shared::doc::walk::WalkChange::what`]).
pub fn change_word(lang: Lang, what: &str) -> &'static str {
    match what {
        "category" => Msg::WalkChangeCategory.text(lang),
        "severity" => Msg::WalkChangeSeverity.text(lang),
        "description" => Msg::WalkChangeDescription.text(lang),
        "photos" => Msg::WalkChangePhotos.text(lang),
        "withdrawn" => Msg::WalkChangeWithdrawn.text(lang),
        _ => Msg::WalkChangeGone.text(lang),
    }
}

/// "As signed" or "changed since signed", for a list or a sheet.
pub fn walk_state(lang: Lang, w: &WalkStatus) -> &'static str {
    if w.changes.is_empty() {
        Msg::WalkUnchanged.text(lang)
    } else {
        Msg::WalkChanged.text(lang)
    }
}

/// Everything the sheet shows, in words.
struct Sheet {
    lang: Lang,
    status: WalkStatus,
    project_name: String,
    unit_label: String,
    inspector: String,
    /// Changed findings: where, and what changed.
    changed: Vec<(String, String)>,
}

impl Sheet {
    /// The walk of the path, for office staff of its project; the page to answer with when
    /// there is none (or it is not theirs).
    async fn load(
        state: &AppState,
        staff: &Staff,
        (unit, walk): (String, String),
    ) -> Result<Self, Response> {
        let (Ok(unit), Ok(walk)) = (UnitId::new(&unit), WalkId::new(&walk)) else {
            return Err(not_found(staff));
        };
        let (project_id, walks) = match load_walks(state, &unit).await {
            Ok(Some(found)) => found,
            Ok(None) => return Err(not_found(staff)),
            Err(e) => return Err(internal(e)),
        };
        // Office staff of the project; a contractor never sees an owner's sheet.
        match staff.role_in(&project_id) {
            Some(r) if r != Role::Contractor => {}
            _ => return Err(not_found(staff)),
        }
        let Some(status) = walks.into_iter().find(|w| w.walk.id == walk) else {
            return Err(not_found(staff));
        };
        let project = load_project(state, &project_id).await.map_err(internal)?;
        let inspector = status.walk.signed_by.user.clone();
        let names = display_names(state, BTreeSet::from([inspector.clone()]))
            .await
            .map_err(internal)?;
        let lang = staff.lang;
        let w = &status.walk;
        let changed = status
            .changes
            .iter()
            .map(|c| {
                let what: Vec<&str> = c.what.iter().map(|w| change_word(lang, w)).collect();
                let place = w
                    .snapshot
                    .findings
                    .iter()
                    .find(|f| f.id == c.finding)
                    .map(|f| finding_place(lang, f))
                    .unwrap_or_default();
                (place, what.join("、"))
            })
            .collect();
        Ok(Self {
            lang,
            project_name: lang.pick(&project.name_zh, &project.name_en).to_owned(),
            unit_label: labels::unit(&project, &unit),
            inspector: names
                .get(&inspector)
                .cloned()
                .unwrap_or_else(|| inspector.to_string()),
            changed,
            status,
        })
    }

    fn owner(&self) -> String {
        let o = &self.status.walk.snapshot.owner;
        format!("{} · {}", o.name, o.phone)
    }

    /// The sheet as PDF blocks; `signature` is the image when it reached the server.
    fn blocks(&self, signature: Option<Vec<u8>>) -> Vec<Block> {
        let lang = self.lang;
        let w = &self.status.walk;
        let mut blocks = vec![
            Block::Title(Msg::WalkSheetTitle.text(lang).to_owned()),
            Block::Rows(vec![
                (Msg::Project.text(lang).into(), self.project_name.clone()),
                (Msg::Unit.text(lang).into(), self.unit_label.clone()),
                (
                    Msg::WalkVersion.text(lang).into(),
                    self.status.version.to_string(),
                ),
                (Msg::OwnerSigned.text(lang).into(), self.owner()),
                (Msg::WalkInspector.text(lang).into(), self.inspector.clone()),
                (
                    Msg::SignedAt.text(lang).into(),
                    beijing(w.snapshot.signed_at),
                ),
            ]),
            Block::Heading(Msg::SignedFindings.text(lang).to_owned()),
        ];
        if w.snapshot.findings.is_empty() {
            blocks.push(Block::Paragraph(
                Msg::NoSignedFindings.text(lang).to_owned(),
            ));
        } else {
            blocks.push(Block::Numbered(
                w.snapshot
                    .findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{}：{}（{}，{} {}）",
                            finding_place(lang, f),
                            f.description,
                            lang.pick(f.severity.label_zh(), f.severity.label_en()),
                            Msg::PhotoCount.text(lang),
                            f.photos.len()
                        )
                    })
                    .collect(),
            ));
        }
        blocks.push(Block::Paragraph(Msg::WalkNote.text(lang).to_owned()));
        blocks.push(Block::Heading(Msg::OwnerSignature.text(lang).to_owned()));
        match signature {
            Some(png) => blocks.push(Block::Image { png, width: 240.0 }),
            None => blocks.push(Block::Paragraph(
                Msg::SignatureNotArrived.text(lang).to_owned(),
            )),
        }
        blocks.push(Block::Heading(Msg::SnapshotHash.text(lang).to_owned()));
        blocks.push(Block::Code(w.snapshot_hash.clone()));
        blocks.push(Block::Paragraph(walk_state(lang, &self.status).to_owned()));
        if !self.changed.is_empty() {
            blocks.push(Block::Heading(
                Msg::WalkChangedFindings.text(lang).to_owned(),
            ));
            blocks.push(Block::Numbered(
                self.changed
                    .iter()
                    .map(|(place, what)| format!("{place}：{what}"))
                    .collect(),
            ));
        }
        blocks
    }
}

/// `GET /units/{unit}/walks/{walk}`: the print view.
pub async fn print(
    State(state): State<AppState>,
    staff: Staff,
    Path(ids): Path<(String, String)>,
) -> Response {
    let sheet = match Sheet::load(&state, &staff, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = sheet.lang;
    let status = &sheet.status;
    let w = &status.walk;
    let pdf = format!("/units/{}/walks/{}/pdf", w.snapshot.unit, w.id);
    let body = rsx! {
        article { class: "notice", id: "walk-sheet",
            h1 { style: "text-align:center", {Msg::WalkSheetTitle.text(lang)} }
            p { class: "noprint", a { id: "walk-pdf", href: "{pdf}", {Msg::DownloadPdf.text(lang)} } }
            table {
                tr { th { {Msg::Project.text(lang)} } td { "{sheet.project_name}" } }
                tr { th { {Msg::Unit.text(lang)} } td { id: "walk-unit", "{sheet.unit_label}" } }
                tr { th { {Msg::WalkVersion.text(lang)} } td { id: "walk-version", "{status.version}" } }
                tr { th { {Msg::OwnerSigned.text(lang)} } td { id: "walk-owner", {sheet.owner()} } }
                tr { th { {Msg::WalkInspector.text(lang)} } td { "{sheet.inspector}" } }
                tr { th { {Msg::SignedAt.text(lang)} } td { id: "walk-signed-at", {beijing(w.snapshot.signed_at)} } }
            }
            h2 { {Msg::SignedFindings.text(lang)} }
            if w.snapshot.findings.is_empty() {
                p { id: "walk-none", {Msg::NoSignedFindings.text(lang)} }
            } else {
                table { id: "walk-findings",
                    tr {
                        th { "#" }
                        th { {Msg::Room.text(lang)} }
                        th { {Msg::Description.text(lang)} }
                        th { {Msg::Severity.text(lang)} }
                        th { {Msg::PhotoCount.text(lang)} }
                    }
                    for (i, f) in w.snapshot.findings.iter().enumerate() {
                        tr {
                            td { "{i + 1}" }
                            td { {finding_place(lang, f)} }
                            td { "{f.description}" }
                            td { {lang.pick(f.severity.label_zh(), f.severity.label_en())} }
                            td { "{f.photos.len()}" }
                        }
                    }
                }
            }
            p { class: "muted", {Msg::WalkNote.text(lang)} }
            h2 { {Msg::OwnerSignature.text(lang)} }
            img { id: "walk-signature", src: "/photos/{w.signature.hash}", alt: Msg::OwnerSignature.text(lang), style: "max-width:320px;border-bottom:1px solid #333" }
            p { {Msg::SnapshotHash.text(lang)} "：" code { id: "walk-hash", "{w.snapshot_hash}" } }
            p { id: "walk-state", class: if status.changes.is_empty() { "ok" } else { "overdue" }, {walk_state(lang, status)} }
            if !sheet.changed.is_empty() {
                h2 { {Msg::WalkChangedFindings.text(lang)} }
                ul { id: "walk-changes",
                    for (place, what) in sheet.changed.iter() {
                        li { "{place}：{what}" }
                    }
                }
            }
        }
    };
    render(
        lang,
        Msg::WalkSheetTitle.text(lang),
        Some(staff.top_bar()),
        body,
    )
    .into_response()
}

/// `GET /units/{unit}/walks/{walk}/pdf`: the same sheet as an A4 PDF file.
pub async fn pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path(ids): Path<(String, String)>,
) -> Response {
    let sheet = match Sheet::load(&state, &staff, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let hash = sheet.status.walk.signature.hash.clone();
    let signature = match crate::blobs::read_whole(&*state.blobs, &hash).await {
        // Only a PNG is drawn; anything else under that hash is shown as not arrived.
        Ok(png) => png
            .filter(|b| {
                plumbline_media::ImageType::sniff(b) == Some(plumbline_media::ImageType::Png)
            })
            .map(|b| b.to_vec()),
        Err(e) => return internal(e),
    };
    let w = &sheet.status.walk;
    let file = format!("walk-{}-v{}.pdf", w.snapshot.unit, sheet.status.version);
    super::paper_file::answer(&state, &staff, sheet.blocks(signature), &file).await
}

/// Room and item of a signed finding, in words.
fn finding_place(lang: Lang, f: &SnapshotFinding) -> String {
    format!(
        "{} / {}",
        labels::room(lang, f.room.as_str()),
        labels::item(lang, f.item.as_str())
    )
}
