//! `GET /cases/{unit}/{finding}/fines/{fine}` and `…/pdf`: a printable 罚款单, as a print view
//! and as an A4 PDF file.
//!
//! The slip carries its number, the contractor by name, the defect, the penalty condition, the
//! amount in figures and in capital characters (金额大写), the drafter and each approver with
//! their time, the 作废 mark and reason on a voided slip, and the departments that receive a
//! copy (DESIGN.md §2). Office staff only: a slip names amounts and signatures that are the
//! center's business until it is sent.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dioxus::prelude::*;
use plumbline_shared::event::FineApprovalStep;
use plumbline_shared::ids::FineId;
use plumbline_shared::role::Role;
use plumbline_shared::workflow::FineStatus;
use plumbline_shared::workflow::may::Person;

use super::case_load::{load_for_page, not_found};
use super::fines::{condition_text, display_names, fine_views, signers, step_label};
use super::i18n::{Lang, Msg};
use super::labels;
use super::layout::{internal, message_page, render};
use super::session::Staff;
use crate::paper::Block;
use crate::state::AppState;
use plumbline_shared::money::{capital, yuan};

/// The departments that receive a copy of every slip (DESIGN.md §2).
const COPIES_ZH: &str = "成本控制部、经济处、财务部、合约部";
const COPIES_EN: &str = "Cost control, economic office, finance, contracts";

/// The page for a slip number the case does not hold.
pub(super) fn fine_not_found(staff: &Staff) -> Response {
    let m = staff.lang.pick(
        "本案件没有这张罚款单。",
        "This case has no fine slip with that number.",
    );
    message_page(StatusCode::NOT_FOUND, staff.lang, m, Some(staff.top_bar()))
}

/// The slip as the form shows it, in words.
struct FineSheet {
    lang: Lang,
    fine_no: String,
    /// (element id, label, value) rows in the form's order.
    facts: Vec<(&'static str, String, String)>,
    /// The reason and who voided it, on a voided slip.
    voided: Option<String>,
}

impl FineSheet {
    async fn load(
        state: &AppState,
        staff: &Staff,
        (unit, finding, fine): (String, String, String),
    ) -> Result<Self, Response> {
        let Ok(fine) = FineId::new(fine) else {
            return Err(fine_not_found(staff));
        };
        let (unit, _, loaded) = load_for_page(state, staff, &unit, &finding).await?;
        let role = match staff.role_in(&loaded.project.id) {
            Some(r) if r != Role::Contractor => r,
            _ => return Err(not_found(staff)),
        };
        let names = display_names(state, signers(&loaded.finding))
            .await
            .map_err(internal)?;
        let person = Person {
            user: &staff.user,
            role,
        };
        let Some(v) = fine_views(
            &loaded.finding,
            &loaded.state,
            &loaded.project,
            &names,
            person,
        )
        .into_iter()
        .find(|v| v.fine.id == fine) else {
            return Err(fine_not_found(staff));
        };
        let lang = staff.lang;
        let f = &loaded.finding;
        let mut facts = vec![
            (
                "fine-project",
                Msg::Project.text(lang).to_owned(),
                lang.pick(&loaded.project.name_zh, &loaded.project.name_en)
                    .to_owned(),
            ),
            (
                "fine-unit",
                Msg::Unit.text(lang).to_owned(),
                labels::unit(&loaded.project, &unit),
            ),
            (
                "fine-contractor",
                Msg::Contractor.text(lang).to_owned(),
                v.contractor_name.clone(),
            ),
            (
                "fine-defect",
                Msg::Defect.text(lang).to_owned(),
                format!(
                    "{} / {} · {}",
                    labels::room(lang, f.room.as_str()),
                    labels::item(lang, f.item.as_str()),
                    f.description
                ),
            ),
        ];
        if let Some(n) = &v.notice_no {
            facts.push((
                "fine-notice",
                Msg::NoticeTitle.text(lang).to_owned(),
                n.clone(),
            ));
        }
        facts.extend([
            (
                "fine-condition",
                Msg::PenaltyCondition.text(lang).to_owned(),
                condition_text(v.fine.condition, lang),
            ),
            (
                "amount-figures",
                Msg::AmountFigures.text(lang).to_owned(),
                format!("¥{}", yuan(v.fine.amount_fen)),
            ),
            (
                "amount-capital",
                Msg::AmountCapital.text(lang).to_owned(),
                format!("人民币{}", capital(v.fine.amount_fen).unwrap_or_default()),
            ),
            (
                "fine-drafted",
                Msg::DraftedBy.text(lang).to_owned(),
                v.drafted.as_ref().map(|s| s.text(lang)).unwrap_or_default(),
            ),
        ]);
        for step in [FineApprovalStep::Leader, FineApprovalStep::Manager] {
            let signed = v.approvals.iter().find(|(s, _)| *s == step).map_or_else(
                || Msg::Pending.text(lang).to_owned(),
                |(_, sig)| sig.text(lang),
            );
            let id = match step {
                FineApprovalStep::Leader => "approval-leader",
                FineApprovalStep::Manager => "approval-manager",
            };
            facts.push((id, step_label(step, lang).to_owned(), signed));
        }
        let voided = (v.fine.status == FineStatus::Voided).then(|| {
            let mut text = format!(
                "{}：{}",
                Msg::VoidReason.text(lang),
                v.fine.void_reason.clone().unwrap_or_default()
            );
            if let Some(sig) = &v.voided {
                text.push_str(&format!(" · {}", sig.text(lang)));
            }
            text
        });
        if let Some(text) = &voided {
            facts.push((
                "void-row",
                Msg::FineVoided.text(lang).to_owned(),
                text.clone(),
            ));
        }
        facts.push((
            "fine-copies",
            Msg::Copies.text(lang).to_owned(),
            lang.pick(COPIES_ZH, COPIES_EN).to_owned(),
        ));
        Ok(Self {
            lang,
            fine_no: v.fine.id.to_string(),
            facts,
            voided,
        })
    }

    fn blocks(&self) -> Vec<Block> {
        let lang = self.lang;
        let mut blocks = vec![Block::Title(Msg::FineTitle.text(lang).to_owned())];
        if self.voided.is_some() {
            blocks.push(Block::Title(format!("【{}】", Msg::VoidMark.text(lang))));
        }
        blocks.push(Block::Rows(vec![(
            Msg::FineNo.text(lang).to_owned(),
            self.fine_no.clone(),
        )]));
        blocks.push(Block::Rows(
            self.facts
                .iter()
                .map(|(_, label, value)| (label.clone(), value.clone()))
                .collect(),
        ));
        blocks.push(Block::Paragraph(
            Msg::ContractorSignLine.text(lang).to_owned(),
        ));
        blocks
    }
}

/// `GET /cases/{unit}/{finding}/fines/{fine}`: the print view.
pub async fn print(
    State(state): State<AppState>,
    staff: Staff,
    Path(ids): Path<(String, String, String)>,
) -> Response {
    let pdf = format!("/cases/{}/{}/fines/{}/pdf", ids.0, ids.1, ids.2);
    let sheet = match FineSheet::load(&state, &staff, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let lang = sheet.lang;
    let body = rsx! {
        article { class: "fine-slip",
            h1 { style: "text-align:center", {Msg::FineTitle.text(lang)} }
            if sheet.voided.is_some() {
                p { id: "void-mark", style: "text-align:center;margin:0",
                    span { style: "display:inline-block;border:4px solid #b00020;color:#b00020;font-size:2rem;font-weight:700;padding:.1rem 1.2rem;transform:rotate(-6deg)",
                        {Msg::VoidMark.text(lang)}
                    }
                }
            }
            p { class: "noprint", a { id: "fine-pdf", href: "{pdf}", {Msg::DownloadPdf.text(lang)} } }
            p { {Msg::FineNo.text(lang)} "：" span { id: "fine-no", "{sheet.fine_no}" } }
            table {
                for (id, label, value) in sheet.facts.iter() {
                    tr { th { "{label}" } td { id: "{id}", "{value}" } }
                }
            }
            p { style: "margin-top:3rem", {Msg::ContractorSignLine.text(lang)} }
        }
    };
    render(lang, Msg::FineTitle.text(lang), Some(staff.top_bar()), body).into_response()
}

/// `GET /cases/{unit}/{finding}/fines/{fine}/pdf`: the same slip as an A4 PDF file.
pub async fn pdf(
    State(state): State<AppState>,
    staff: Staff,
    Path(ids): Path<(String, String, String)>,
) -> Response {
    let sheet = match FineSheet::load(&state, &staff, ids).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let file = format!("fine-{}.pdf", sheet.fine_no);
    super::paper_file::answer(&state, &staff, sheet.blocks(), &file).await
}
