//! What an event says, beyond its name, for the case's timeline: the reasons, notes and
//! replies typed with it, the satisfaction level, the contractor, the deadline, the amounts.

use plumbline_shared::event::{EditedField, EventKind, ResponseMode};
use plumbline_shared::project::Contractor;
use plumbline_shared::severity::Severity;

use super::i18n::Lang;
use super::labels;
use super::when::beijing;
use plumbline_shared::money::yuan;

/// The contractor's name where the project has it, its id otherwise.
fn company(contractors: &[Contractor], id: &plumbline_shared::ids::ContractorId) -> String {
    contractors
        .iter()
        .find(|c| &c.id == id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

/// `label：text` (`label: text` in English), or nothing when the text is blank.
fn labelled(lang: Lang, label: &str, text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!("{label}{}{text}", lang.pick("：", ": "))
    }
}

/// The non-empty parts, joined as a list in `lang`.
fn joined(lang: Lang, parts: impl IntoIterator<Item = String>) -> String {
    parts
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(lang.pick("；", "; "))
}

/// The details of `kind` in `lang`, in one line (empty when it has none).
pub fn event_detail(kind: &EventKind, lang: Lang, contractors: &[Contractor]) -> String {
    let t = |zh: &'static str, en: &'static str| lang.pick(zh, en);
    let money = |fen: i64| format!("{} {}", yuan(fen), t("元", "yuan"));
    match kind {
        EventKind::Recorded { origin } => {
            lang.pick(origin.label_zh(), origin.label_en()).to_owned()
        }
        EventKind::EvidenceAdded { hash } => {
            let short: String = hash.to_string().chars().take(12).collect();
            short
        }
        EventKind::FieldEdited { field, from, to } => {
            let shown = |value: &str| match field {
                EditedField::Category => labels::category(lang, value),
                EditedField::Severity => Severity::parse(value).map_or_else(
                    || value.to_owned(),
                    |s| lang.pick(s.label_zh(), s.label_en()).to_owned(),
                ),
                EditedField::Description => format!("“{value}”"),
            };
            format!(
                "{}{}{} → {}",
                lang.pick(field.label_zh(), field.label_en()),
                lang.pick("：", ": "),
                shown(from),
                shown(to)
            )
        }
        EventKind::EvidenceRequested { reason, note } => {
            let why = lang.pick(reason.label_zh(), reason.label_en());
            joined(lang, [why.to_owned(), note.trim().to_owned()])
        }
        EventKind::NoticeIssued {
            notice_no,
            contractor,
            repair_deadline,
        }
        | EventKind::Reassigned {
            notice_no,
            contractor,
            repair_deadline,
        } => format!(
            "{notice_no} · {} · {}{}",
            company(contractors, contractor),
            t("整改期限 ", "repair by "),
            beijing(*repair_deadline)
        ),
        EventKind::NoticeRefused { reason }
        | EventKind::Disputed { reason }
        | EventKind::AcceptanceFailed { reason }
        | EventKind::Reopened { reason }
        | EventKind::Closed { reason } => labelled(lang, t("原因", "Reason"), reason),
        EventKind::Cancelled {
            reason,
            not_a_defect,
        } => {
            let why = labelled(lang, t("原因", "Reason"), reason);
            let flag = if *not_a_defect {
                t("非缺陷", "not a defect").to_owned()
            } else {
                String::new()
            };
            joined(lang, [flag, why])
        }
        EventKind::ContractorResponded { mode, note } => {
            let how = match mode {
                ResponseMode::OnSite => t("已到场", "on site"),
                ResponseMode::Plan => t("提交方案", "plan presented"),
            };
            joined(lang, [how.to_owned(), note.trim().to_owned()])
        }
        EventKind::RepairReported { note, evidence } => {
            let photos = if evidence.is_empty() {
                String::new()
            } else {
                format!("{} {}", evidence.len(), t("张照片", "photos"))
            };
            joined(lang, [note.trim().to_owned(), photos])
        }
        EventKind::AcceptancePassed { note } | EventKind::EvidenceReviewed { note } => {
            labelled(lang, t("备注", "Note"), note)
        }
        EventKind::NoticeReturned { reply } => labelled(lang, t("回复", "Reply"), reply),
        EventKind::EmergencyRepairStarted { team, reason } => {
            let who = labelled(lang, t("队伍", "Team"), team);
            let why = labelled(lang, t("原因", "Reason"), reason);
            joined(lang, [who, why])
        }
        EventKind::EmergencyRepairFinished { cost_fen } => {
            format!("{}{}", t("费用 ", "cost "), money(*cost_fen))
        }
        EventKind::FineDrafted {
            fine,
            contractor,
            condition,
            amount_fen,
        } => format!(
            "{fine} · {} · {}. {} · {}",
            company(contractors, contractor),
            condition.number(),
            lang.pick(condition.label_zh(), condition.label_en()),
            money(*amount_fen)
        ),
        EventKind::FineApproved { fine, step } => {
            let who = match step {
                plumbline_shared::event::FineApprovalStep::Leader => {
                    t("组长（总协调员）审批", "team leader's approval")
                }
                plumbline_shared::event::FineApprovalStep::Manager => {
                    t("经理审批", "manager's approval")
                }
            };
            format!("{fine} · {who}")
        }
        EventKind::FineVoided { fine, reason } => {
            format!("{fine} · {}", labelled(lang, t("原因", "Reason"), reason))
        }
        EventKind::Callback {
            level,
            note,
            channel,
        } => {
            let how = match channel {
                plumbline_shared::event::CallbackChannel::Phone => t("电话", "phone"),
                plumbline_shared::event::CallbackChannel::Visit => t("上门", "visit"),
            };
            let said = labelled(lang, t("原因/备注", "Reason/note"), note);
            let level = lang.pick(level.label_zh(), level.label_en());
            let head = match lang {
                Lang::Zh => format!("{level}（{how}）"),
                Lang::En => format!("{level} ({how})"),
            };
            joined(lang, [head, said])
        }
        EventKind::ClaimRecorded {
            damage,
            claimed_fen,
            ..
        } => format!(
            "{}{} · {}",
            t("索赔 ", "claimed "),
            money(*claimed_fen),
            damage.trim()
        ),
        EventKind::ClaimAgreed { agreed_fen, .. } => {
            format!("{}{}", t("确认 ", "agreed "), money(*agreed_fen))
        }
        EventKind::ClaimPaid { paid_fen, .. } => {
            format!("{}{}", t("支付 ", "paid "), money(*paid_fen))
        }
        // The other case is a link on the case page, which knows its description.
        EventKind::MergedInto { .. } => t("并入重复案件", "merged into a duplicate").to_owned(),
        EventKind::MergedFrom { .. } => t("合并了重复案件", "a duplicate merged in").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use plumbline_shared::event::{CallbackChannel, Satisfaction};

    use super::*;

    #[test]
    fn a_dissatisfied_callback_shows_its_level_and_reason_in_both_languages() {
        let kind = EventKind::Callback {
            channel: CallbackChannel::Phone,
            level: Satisfaction::Dissatisfied,
            note: "卫生间仍渗水".into(),
        };
        assert_eq!(
            event_detail(&kind, Lang::Zh, &[]),
            "不满意（电话）；原因/备注：卫生间仍渗水"
        );
        assert_eq!(
            event_detail(&kind, Lang::En, &[]),
            "Dissatisfied (phone); Reason/note: 卫生间仍渗水"
        );
    }

    #[test]
    fn amounts_are_in_yuan() {
        let kind = EventKind::EmergencyRepairFinished { cost_fen: 180_050 };
        assert_eq!(event_detail(&kind, Lang::Zh, &[]), "费用 1,800.50 元");
    }
}
