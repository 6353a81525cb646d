//! The workflow steps the office records on a case with a sentence (and for emergency repair a
//! cost): the contractor's refusal, arrival or plan, dispute and reported repair, as the
//! contractor told the office; acceptance passed or failed; the notice returned with the
//! contractor's reply; emergency repair started and finished; a request for more evidence; and
//! closing or cancelling the case.
//!
//! One form and one endpoint, `POST /cases/{unit}/{finding}/step`, because these steps share
//! their shape: a choice of step, a text, a few extra fields. Each step becomes one
//! [`EventKind`], checked by the workflow's precondition for the person and the case as it
//! stands before it is appended (see [`super::case_kit`]). The rectification notice
//! (`…/notice`) and the owner's callback (`…/callback`) have forms of their own, here too.

use axum::extract::State;
use axum::response::Response;
use plumbline_shared::event::{
    CallbackChannel, EventKind, EvidenceRequestReason, ResponseMode, Satisfaction,
};
use plumbline_shared::time::{DAY_MS, Timestamp};
use serde::Deserialize;

use super::case_kit::{CaseForm, NewEvent, WebError};
use super::i18n::Lang;
use super::posted::posted_with_csrf_field;
use crate::state::AppState;
use crate::store::Series;
use plumbline_shared::money::parse_yuan;

/// Longest text of a step, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// A step the office can record with this form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 施工单位拒收通知单.
    Refused,
    /// 施工单位到场.
    OnSite,
    /// 施工单位提交整改方案.
    Plan,
    /// 施工单位提出异议.
    Disputed,
    /// 施工单位报告整改完成.
    RepairReported,
    /// 验收通过.
    Accepted,
    /// 验收不通过.
    Rejected,
    /// 通知单回收.
    NoticeReturned,
    /// 启动应急维修.
    EmergencyStarted,
    /// 应急维修完成.
    EmergencyFinished,
    /// 要求补充证据.
    EvidenceRequested,
    /// 复核验收后新增照片.
    EvidenceReviewed,
    /// 关闭.
    Closed,
    /// 取消.
    Cancelled,
}

impl Step {
    /// Every step, in the order the form lists them.
    pub const ALL: [Step; 14] = [
        Step::Refused,
        Step::OnSite,
        Step::Plan,
        Step::Disputed,
        Step::RepairReported,
        Step::Accepted,
        Step::Rejected,
        Step::NoticeReturned,
        Step::EmergencyStarted,
        Step::EmergencyFinished,
        Step::EvidenceRequested,
        Step::EvidenceReviewed,
        Step::Closed,
        Step::Cancelled,
    ];

    /// The form value.
    pub fn code(self) -> &'static str {
        match self {
            Step::Refused => "refused",
            Step::OnSite => "on_site",
            Step::Plan => "plan",
            Step::Disputed => "disputed",
            Step::RepairReported => "repair_reported",
            Step::Accepted => "accepted",
            Step::Rejected => "rejected",
            Step::NoticeReturned => "notice_returned",
            Step::EmergencyStarted => "emergency_started",
            Step::EmergencyFinished => "emergency_finished",
            Step::EvidenceRequested => "evidence_requested",
            Step::EvidenceReviewed => "evidence_reviewed",
            Step::Closed => "closed",
            Step::Cancelled => "cancelled",
        }
    }

    /// The step named by a form value.
    pub fn parse(code: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The label in the form.
    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Step::Refused => ("施工单位拒收通知单", "Contractor refused the notice"),
            Step::OnSite => ("施工单位已到场", "Contractor on site"),
            Step::Plan => ("施工单位提交整改方案", "Contractor presented a plan"),
            Step::Disputed => ("施工单位提出异议", "Contractor disputes"),
            Step::RepairReported => ("施工单位报告整改完成", "Contractor reports the repair done"),
            Step::Accepted => ("验收通过", "Repair accepted"),
            Step::Rejected => ("验收不通过", "Repair rejected"),
            Step::NoticeReturned => ("通知单已回收", "Notice returned"),
            Step::EmergencyStarted => ("启动应急维修", "Start emergency repair"),
            Step::EmergencyFinished => ("应急维修完成", "Emergency repair finished"),
            Step::EvidenceRequested => ("要求补充证据", "Ask for more evidence"),
            Step::EvidenceReviewed => (
                "复核验收后新增照片（无需重开）",
                "New photos reviewed (no reopen needed)",
            ),
            Step::Closed => ("关闭案件", "Close the case"),
            Step::Cancelled => ("取消案件", "Cancel the case"),
        };
        lang.pick(zh, en)
    }

    /// Whether the step needs a text (a reason, a reply, a team).
    fn text_required(self) -> bool {
        !matches!(
            self,
            Step::OnSite
                | Step::Plan
                | Step::RepairReported
                | Step::Accepted
                | Step::EmergencyFinished
        )
    }

    /// An event of this step's kind with placeholder values, to ask the workflow's
    /// precondition whether the step is offered.
    pub fn event_probe(self) -> EventKind {
        let form = StepForm {
            text: "-".into(),
            cost: "0".into(),
            evidence: "reshoot".into(),
            not_a_defect: None,
        };
        self.event(&form)
            .expect("every step builds an event from the probe's values")
    }

    /// The event this step records, from the form's fields, or the sentence that says what is
    /// wrong with them.
    pub fn event(self, form: &StepForm) -> Result<EventKind, (&'static str, &'static str)> {
        let text = form.text.trim().to_owned();
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err((
                "说明最多 500 字。",
                "The text may have at most 500 characters.",
            ));
        }
        if self.text_required() && text.is_empty() {
            return Err((
                "请填写说明（原因、回复或队伍）。",
                "Write the reason, the reply or the team.",
            ));
        }
        Ok(match self {
            Step::Refused => EventKind::NoticeRefused { reason: text },
            Step::OnSite => EventKind::ContractorResponded {
                mode: ResponseMode::OnSite,
                note: text,
            },
            Step::Plan => EventKind::ContractorResponded {
                mode: ResponseMode::Plan,
                note: text,
            },
            Step::Disputed => EventKind::Disputed { reason: text },
            Step::RepairReported => EventKind::RepairReported {
                note: text,
                evidence: Vec::new(),
            },
            Step::Accepted => EventKind::AcceptancePassed { note: text },
            Step::Rejected => EventKind::AcceptanceFailed { reason: text },
            Step::NoticeReturned => EventKind::NoticeReturned { reply: text },
            Step::EmergencyStarted => EventKind::EmergencyRepairStarted {
                team: text,
                reason: String::new(),
            },
            Step::EmergencyFinished => EventKind::EmergencyRepairFinished {
                cost_fen: cost_fen(&form.cost)?,
            },
            Step::EvidenceRequested => EventKind::EvidenceRequested {
                reason: match form.evidence.as_str() {
                    "reshoot" => EvidenceRequestReason::Reshoot,
                    "wrong_room" => EvidenceRequestReason::WrongRoom,
                    "unclear" => EvidenceRequestReason::Unclear,
                    "other" => EvidenceRequestReason::Other,
                    _ => return Err(("补充证据的原因无效。", "The evidence reason is not valid.")),
                },
                note: text,
            },
            Step::EvidenceReviewed => EventKind::EvidenceReviewed { note: text },
            Step::Closed => EventKind::Closed { reason: text },
            Step::Cancelled => EventKind::Cancelled {
                reason: text,
                not_a_defect: form.not_a_defect.is_some(),
            },
        })
    }
}

/// A cost in yuan as typed ("1200", "1,200.50") in fen.
fn cost_fen(text: &str) -> Result<i64, (&'static str, &'static str)> {
    parse_yuan(text).map_err(|_| {
        (
            "费用须为 0 到 1000 万元之间的金额。",
            "The cost must be an amount between 0 and 10 million yuan.",
        )
    })
}

/// The step form's fields.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StepForm {
    /// The reason, note, reply or team.
    #[serde(default)]
    pub text: String,
    /// Emergency repair cost in yuan.
    #[serde(default)]
    pub cost: String,
    /// Why more evidence is needed (`reshoot`, `wrong_room`, `unclear`, `other`).
    #[serde(default)]
    pub evidence: String,
    /// Cancelled because it is not a defect (a checkbox).
    #[serde(default)]
    pub not_a_defect: Option<String>,
}

/// The code of a satisfaction level in the callback form.
pub fn level_code(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::VerySatisfied => "very_satisfied",
        Satisfaction::Satisfied => "satisfied",
        Satisfaction::BasicallySatisfied => "basically_satisfied",
        Satisfaction::Dissatisfied => "dissatisfied",
    }
}

/// The notice form.
#[derive(Debug, Deserialize)]
pub struct NoticeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    contractor: String,
    #[serde(default)]
    days: String,
}

/// The callback form.
#[derive(Debug, Deserialize)]
pub struct CallbackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    note: String,
}

/// The step form.
#[derive(Debug, Deserialize)]
pub struct StepRequest {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(flatten)]
    fields: StepForm,
}

posted_with_csrf_field!(NoticeForm, CallbackForm, StepRequest);

/// `POST /cases/{unit}/{finding}/notice`: issues a rectification notice to a contractor of the
/// project, numbered in the year's series (`ZG-YYYY-NNNN`) when it is stored.
pub async fn issue_notice(
    State(state): State<AppState>,
    action: CaseForm<NoticeForm>,
) -> Result<Response, WebError> {
    let form = &action.form;
    let days: i64 = match form.days.trim().parse() {
        Ok(d) if (1..=60).contains(&d) => d,
        _ => {
            return Err(action.bad_pick(
                "整改天数须为 1 到 60 天。",
                "Days to repair must be 1 to 60.",
            ));
        }
    };
    let contractor = action.project_contractor(&form.contractor)?;
    let repair_deadline = Timestamp(state.now().0 + days * DAY_MS);
    let make = move |notice_no: String| EventKind::NoticeIssued {
        notice_no,
        contractor: contractor.clone(),
        repair_deadline,
    };
    action.append_numbered(&state, Series::Notice, make).await
}

/// `POST /cases/{unit}/{finding}/callback`: records a callback; 不满意 (with the owner's
/// reason) reopens the case.
pub async fn record_callback(
    State(state): State<AppState>,
    action: CaseForm<CallbackForm>,
) -> Result<Response, WebError> {
    let form = &action.form;
    let channel = match form.channel.as_str() {
        "phone" => CallbackChannel::Phone,
        "visit" => CallbackChannel::Visit,
        _ => return Err(action.bad_pick("回访方式无效。", "The channel is not valid.")),
    };
    let level = Satisfaction::ALL
        .into_iter()
        .find(|s| level_code(*s) == form.level)
        .ok_or_else(|| action.bad_pick("满意度无效。", "The satisfaction level is not valid."))?;
    if form.note.chars().count() > MAX_TEXT_CHARS {
        return Err(action.bad_pick(
            "备注最多 500 字。",
            "The note may have at most 500 characters.",
        ));
    }
    let kind = EventKind::Callback {
        channel,
        level,
        note: form.note.trim().to_owned(),
    };
    action.append(&state, NewEvent::Plain(kind)).await
}

/// `POST /cases/{unit}/{finding}/step`: records one step of the step form.
pub async fn record_step(
    State(state): State<AppState>,
    action: CaseForm<StepRequest>,
) -> Result<Response, WebError> {
    let step = Step::parse(&action.form.step)
        .ok_or_else(|| action.bad_pick("请选择一个步骤。", "Choose a step."))?;
    let kind = step
        .event(&action.form.fields)
        .map_err(|(zh, en)| action.bad_pick(zh, en))?;
    action.append(&state, NewEvent::Plain(kind)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use plumbline_shared::role::Role;

    use super::*;

    #[test]
    fn costs_are_read_in_yuan_and_bounded() {
        assert_eq!(cost_fen("1200"), Ok(120_000));
        assert_eq!(cost_fen(" 1,200.5 "), Ok(120_050));
        assert_eq!(cost_fen("0.07"), Ok(7));
        for bad in ["", "-1", "1.234", "abc", "10000001", "1.x"] {
            assert!(cost_fen(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn steps_that_need_a_reason_refuse_an_empty_one() {
        let empty = StepForm::default();
        assert!(Step::Rejected.event(&empty).is_err());
        assert!(Step::Accepted.event(&empty).is_ok());
        let long = StepForm {
            text: "长".repeat(MAX_TEXT_CHARS + 1),
            ..StepForm::default()
        };
        assert!(Step::OnSite.event(&long).is_err());
    }

    #[test]
    fn every_step_parses_back_and_probes_the_event_of_its_kind() {
        let allows = |step: Step, role| step.event_probe().allows(role);
        assert!(allows(Step::Accepted, Role::Inspector));
        assert!(!allows(Step::Accepted, Role::FrontDesk));
        assert!(allows(Step::EmergencyStarted, Role::Coordinator));
        assert!(!allows(Step::EmergencyStarted, Role::Inspector));
        assert!(allows(Step::OnSite, Role::FrontDesk));
        for step in Step::ALL {
            assert_eq!(Step::parse(step.code()), Some(step));
            // The probe builds for every step (it panics otherwise) with the step's own kind.
            let probe = step.event_probe();
            let real = step
                .event(&StepForm {
                    text: "原因".into(),
                    cost: "10".into(),
                    evidence: "unclear".into(),
                    not_a_defect: None,
                })
                .unwrap();
            assert_eq!(probe.name(), real.name(), "{step:?}");
        }
    }
}
