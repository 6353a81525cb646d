//! `GET /cases/{unit}/{finding}/complaint` and `…/pdf`: the 客户意见/投诉记录处理单 of a
//! complaint taken at the front desk (an owner's call or visit), as a print view and as an A4
//! PDF file, the way the department files one.
//!
//! The form holds the owner and their contact (masked, as everywhere a document is shown: the
//! full contact is a recorded look away on the case page), what the owner said, how the office
//! classified it, who received it and when, every step taken on it since (who, when, what),
//! and the owner's callback with their satisfaction. A line with nothing recorded yet is left
//! blank for a pen.
//!
//! Office staff of the project only: the form carries the owner's words and the office's
//! handling, which are not a contractor's to read.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::event::{Event, EventKind, Origin};
use plumbline_shared::ids::UserId;
use plumbline_shared::role::Role;

use super::case_load::{load_for_page, not_found};
use super::event_text::event_detail;
use super::fines::display_names;
use super::i18n::{Lang, Msg};
use super::layout::{internal, render};
use super::session::Staff;
use super::when::beijing;
use super::{labels, people};
use crate::paper::{BLANK, Block};
use crate::state::AppState;

/// The form, in words.
struct ComplaintSheet {
    lang: Lang,
    /// (element id, label, value) rows in the form's order.
    facts: Vec<(&'static str, String, String)>,
    /// The handling record: one line per step after the complaint was taken.
    steps: Vec<String>,
    /// The callback, or a blank.
    callback: String,
}

impl ComplaintSheet {
    async fn load(
        state: &AppState,
        staff: &Staff,
        (unit, finding): (String, String),
    ) -> Result<Self, Response> {
        let (unit, _, loaded) = load_for_page(state, staff, &unit, &finding).await?;
        let office = staff
            .role_in(&loaded.project.id)
            .is_some_and(|r| r != Role::Contractor);
        let f = &loaded.finding;
        let from_an_owner = matches!(f.origin, Origin::OwnerCall | Origin::OwnerVisit);
        if !office || !from_an_owner {
            return Err(not_found(staff));
        }
        let lang = staff.lang;
        // In time order, each event once (a retried action may hold an id twice); the
        // complaint's own recording first whatever a phone's clock said about the others.
        let mut events: Vec<&Event> = f.events.iter().collect();
        events.sort_by_key(|e| {
            let recorded = matches!(e.kind, EventKind::Recorded { .. });
            (!recorded, e.at, e.id.clone())
        });
        let mut seen = BTreeSet::new();
        events.retain(|e| seen.insert(e.id.clone()));
        let users: BTreeSet<UserId> = events.iter().map(|e| e.actor.user.clone()).collect();
        let names = display_names(state, users).await.map_err(internal)?;
        let contractors = &loaded.project.contractors;
        let taken = events
            .first()
            .filter(|e| matches!(e.kind, EventKind::Recorded { .. }));
        let steps = events
            .iter()
            .filter(|e| !matches!(e.kind, EventKind::Recorded { .. }))
            .map(|e| {
                // A photo's hash says nothing on paper: the step itself is the record.
                let detail = match e.kind {
                    EventKind::EvidenceAdded { .. } => String::new(),
                    _ => event_detail(&e.kind, lang, contractors),
                };
                let what = lang.pick(e.kind.label_zh(), e.kind.label_en());
                let who = people::acting(&names, &e.actor, lang);
                if detail.is_empty() {
                    format!("{} {who}：{what}", beijing(e.at))
                } else {
                    format!("{} {who}：{what}（{detail}）", beijing(e.at))
                }
            })
            .collect();
        let callback = events
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::Callback { level, note, .. } => {
                    let level = lang.pick(level.label_zh(), level.label_en());
                    let who = people::acting(&names, &e.actor, lang);
                    let note = if note.is_empty() {
                        String::new()
                    } else {
                        format!("：{note}")
                    };
                    Some(format!("{level}{note}（{who} · {}）", beijing(e.at)))
                }
                _ => None,
            })
            .unwrap_or_else(|| BLANK.to_owned());
        let owner = f.owner.as_ref().map(|o| o.masked());
        let blank = || BLANK.to_owned();
        let facts = vec![
            (
                "project",
                Msg::Project.text(lang).to_owned(),
                labels::project(&loaded.project, lang).to_owned(),
            ),
            (
                "unit",
                Msg::Unit.text(lang).to_owned(),
                labels::unit(&loaded.project, &unit),
            ),
            (
                "owner",
                Msg::OwnerName.text(lang).to_owned(),
                owner.as_ref().map_or_else(blank, |o| o.name.clone()),
            ),
            (
                "contact",
                Msg::OwnerPhone.text(lang).to_owned(),
                owner.as_ref().map_or_else(blank, |o| o.phone.clone()),
            ),
            (
                "origin",
                Msg::Origin.text(lang).to_owned(),
                lang.pick(f.origin.label_zh(), f.origin.label_en())
                    .to_owned(),
            ),
            (
                "content",
                lang.pick("投诉内容", "What the owner said").to_owned(),
                f.description.clone(),
            ),
            (
                "class",
                lang.pick("问题分类", "Classification").to_owned(),
                format!(
                    "{} / {} · {} · {}",
                    labels::room(lang, f.room.as_str()),
                    labels::item(lang, f.item.as_str()),
                    labels::category(lang, f.category.as_str()),
                    lang.pick(f.severity.label_zh(), f.severity.label_en())
                ),
            ),
            (
                "received-by",
                lang.pick("接待人", "Received by").to_owned(),
                taken.map_or_else(blank, |e| people::acting(&names, &e.actor, lang)),
            ),
            (
                "received-at",
                lang.pick("接待时间", "Received at").to_owned(),
                taken.map_or_else(blank, |e| beijing(e.at)),
            ),
            (
                "status",
                Msg::Status.text(lang).to_owned(),
                lang.pick(
                    loaded.state.status.label_zh(),
                    loaded.state.status.label_en(),
                )
                .to_owned(),
            ),
        ];
        Ok(Self {
            lang,
            facts,
            steps,
            callback,
        })
    }

    fn title(&self) -> &'static str {
        self.lang
            .pick("客户意见/投诉记录处理单", "Customer complaint record")
    }

    fn blocks(&self) -> Vec<Block> {
        let lang = self.lang;
        let mut blocks = vec![
            Block::Title(self.title().to_owned()),
            Block::Rows(
                self.facts
                    .iter()
                    .map(|(_, label, value)| (label.clone(), value.clone()))
                    .collect(),
            ),
            Block::Heading(lang.pick("处理记录", "Handling record").to_owned()),
        ];
        if self.steps.is_empty() {
            blocks.push(Block::Paragraph(BLANK.to_owned()));
        } else {
            blocks.push(Block::Numbered(self.steps.clone()));
        }
        blocks.push(Block::Rows(vec![(
            lang.pick("回访结果", "Callback").to_owned(),
            self.callback.clone(),
        )]));
        blocks.push(Block::Paragraph(
            lang.pick(
                "经办人签字：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿",
                "Handled by: ＿＿＿＿＿＿　　Date: ＿＿＿＿＿＿",
            )
            .to_owned(),
        ));
        blocks
    }
}

/// `GET /cases/{unit}/{finding}/complaint`: the print view.
pub async fn print(
    State(state): State<AppState>,
    staff: Staff,
    Path(ids): Path<(String, String)>,
) -> Response {
    let pdf = format!("/cases/{}/{}/complaint/pdf", ids.0, ids.1);
    let sheet = match ComplaintSheet::load(&state, &staff, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = sheet.lang;
    let body = rsx! {
        article { class: "complaint-form",
            h1 { style: "text-align:center", {sheet.title()} }
            p { class: "noprint", a { id: "complaint-pdf", href: "{pdf}", {Msg::DownloadPdf.text(lang)} } }
            table {
                for (id, label, value) in sheet.facts.iter() {
                    tr { th { "{label}" } td { id: "{id}", "{value}" } }
                }
            }
            h2 { {lang.pick("处理记录", "Handling record")} }
            if sheet.steps.is_empty() {
                p { "{BLANK}" }
            } else {
                ol { id: "handling",
                    for step in sheet.steps.iter() {
                        li { "{step}" }
                    }
                }
            }
            table {
                tr { th { {lang.pick("回访结果", "Callback")} } td { id: "callback", "{sheet.callback}" } }
            }
            p { style: "margin-top:3rem",
                {lang.pick("经办人签字：＿＿＿＿＿＿　　日期：＿＿＿＿＿＿", "Handled by: ＿＿＿＿＿＿　　Date: ＿＿＿＿＿＿")}
            }
        }
    };
    render(lang, sheet.title(), Some(staff.top_bar()), body).into_response()
}

/// `GET /cases/{unit}/{finding}/complaint/pdf`: the same form as an A4 PDF file.
pub async fn pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path(ids): Path<(String, String)>,
) -> Response {
    let file = format!("complaint-{}.pdf", ids.1);
    let sheet = match ComplaintSheet::load(&state, &staff, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    super::paper_file::answer(&state, &staff, sheet.blocks(), &file).await
}
