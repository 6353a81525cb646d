//! What can happen to a finding: the events of its timeline.
//!
//! A finding's timeline is append-only. Each [`Event`] says what happened ([`EventKind`]), who
//! did it ([`Actor`]) and when by the device's clock. The server adds its receipt time
//! separately ([`Receipt`]), so the event itself never changes once written.
//!
//! The events follow DESIGN.md §2 ("A finding's life"). Status, deadlines and penalty conditions
//! are never stored: [`crate::workflow`] derives them from these events.
//!
//! Money is in fen (分, 1/100 CNY) as `i64`, so sums are exact.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{BlobHash, ClaimId, ContractorId, EventId, FindingId, FineId};
use crate::penalty::PenaltyCondition;
use crate::role::{Actor, Role};
use crate::time::Timestamp;

/// One entry of a finding's timeline. Sealed in the document (one JSON string per event):
/// events are immutable, so they need no field-level merging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id; a second event with the same id is a duplicate delivery and counts once.
    pub id: EventId,
    /// What happened.
    pub kind: EventKind,
    /// Who did it, in which role, on which device.
    pub actor: Actor,
    /// When, by the device's clock (see [`Receipt`] for why that is not trusted blindly).
    pub at: Timestamp,
}

/// When the server first stored an event, and how far off the sending device's clock was.
///
/// Written once by the server beside the event (never inside it). The workflow uses the
/// device's time when the device's clock was within the skew bound at that sync, and the
/// receipt time otherwise (flagged as an anomaly for review).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Server time at which the event arrived.
    pub received_at: Timestamp,
    /// Device clock minus server clock, measured during the sync that delivered it (ms).
    pub skew_ms: i64,
}

/// Where a finding came from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// 前期验收: pre-handover inspection.
    Inspection,
    /// 业主来电: an owner's call.
    OwnerCall,
    /// 业主来访: an owner's visit.
    OwnerVisit,
    /// 验房: the owner's handover walk.
    HandoverWalk,
    /// 物业公司: reported by the property company.
    PropertyCompany,
}

impl Origin {
    /// Every origin.
    pub const ALL: [Origin; 5] = [
        Origin::Inspection,
        Origin::OwnerCall,
        Origin::OwnerVisit,
        Origin::HandoverWalk,
        Origin::PropertyCompany,
    ];

    /// The machine name (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Inspection => "inspection",
            Origin::OwnerCall => "owner_call",
            Origin::OwnerVisit => "owner_visit",
            Origin::HandoverWalk => "handover_walk",
            Origin::PropertyCompany => "property_company",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Origin::Inspection => "Pre-handover inspection",
            Origin::OwnerCall => "Owner's call",
            Origin::OwnerVisit => "Owner's visit",
            Origin::HandoverWalk => "Handover walk",
            Origin::PropertyCompany => "Property company",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Origin::Inspection => "前期验收",
            Origin::OwnerCall => "业主来电",
            Origin::OwnerVisit => "业主来访",
            Origin::HandoverWalk => "交付验房",
            Origin::PropertyCompany => "物业公司",
        }
    }
}

/// How the contractor answered a notice within its response window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// 到场: someone is on site.
    OnSite,
    /// 提交方案: a repair plan was presented.
    Plan,
}

/// How an owner was called back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum CallbackChannel {
    /// 电话回访.
    Phone,
    /// 上门回访.
    Visit,
}

/// The owner's satisfaction at a callback (回访满意度).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 非常满意.
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意: reopens the case (penalty condition 4).
    Dissatisfied,
}

impl Satisfaction {
    /// All four levels, best first.
    pub const ALL: [Satisfaction; 4] = [
        Satisfaction::VerySatisfied,
        Satisfaction::Satisfied,
        Satisfaction::BasicallySatisfied,
        Satisfaction::Dissatisfied,
    ];

    /// The stable machine name, as serialised (`very_satisfied`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "very_satisfied",
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "非常满意",
            Satisfaction::Satisfied => "满意",
            Satisfaction::BasicallySatisfied => "基本满意",
            Satisfaction::Dissatisfied => "不满意",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "Very satisfied",
            Satisfaction::Satisfied => "Satisfied",
            Satisfaction::BasicallySatisfied => "Basically satisfied",
            Satisfaction::Dissatisfied => "Dissatisfied",
        }
    }
}

/// Why the office asks the inspector for more evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceRequestReason {
    /// 重拍: the photo must be taken again.
    Reshoot,
    /// 房间不符: the photo shows the wrong room.
    WrongRoom,
    /// 不清晰: the photo is unclear.
    Unclear,
    /// 其他.
    Other,
}

impl EvidenceRequestReason {
    /// The Chinese label, as the device shows it on the finding.
    pub fn label_zh(self) -> &'static str {
        match self {
            EvidenceRequestReason::Reshoot => "重拍",
            EvidenceRequestReason::WrongRoom => "房间不符",
            EvidenceRequestReason::Unclear => "不清晰",
            EvidenceRequestReason::Other => "其他",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            EvidenceRequestReason::Reshoot => "Re-shoot",
            EvidenceRequestReason::WrongRoom => "Wrong room",
            EvidenceRequestReason::Unclear => "Unclear",
            EvidenceRequestReason::Other => "Other",
        }
    }
}

/// A plain field of a finding that may change after it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditedField {
    /// The defect category.
    Category,
    /// The severity.
    Severity,
    /// The inspector's description.
    Description,
}

impl EditedField {
    /// The field's name in Chinese, as the case page labels it.
    pub fn label_zh(self) -> &'static str {
        match self {
            EditedField::Category => "类别",
            EditedField::Severity => "严重程度",
            EditedField::Description => "问题描述",
        }
    }

    /// The field's name in English.
    pub fn label_en(self) -> &'static str {
        match self {
            EditedField::Category => "Category",
            EditedField::Severity => "Severity",
            EditedField::Description => "Description",
        }
    }
}

/// The approvals a fine slip needs, in this order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Reconcile, Hydrate,
)]
#[serde(rename_all = "snake_case")]
pub enum FineApprovalStep {
    /// 组长 / 总协调员 sets the amount and approves first.
    Leader,
    /// 经理 (the deputy in the rules) signs off second.
    Manager,
}

/// What happened. See DESIGN.md §2 for the meaning of each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventKind {
    /// The finding was recorded; opens the case.
    Recorded {
        /// Where it came from.
        origin: Origin,
    },
    /// A photo or signature was attached.
    EvidenceAdded {
        /// The blob's hash (its metadata is in the finding's evidence map).
        hash: BlobHash,
    },
    /// The office asks for more evidence; shows on the device.
    EvidenceRequested {
        /// Why.
        reason: EvidenceRequestReason,
        /// Free text.
        note: String,
    },
    /// An engineer looked at the photos added after the repair's acceptance (by another
    /// inspector, or a phone that synced late) and found nothing that reopens the case; a
    /// defect they show is a reopen instead.
    EvidenceReviewed {
        /// What the review found.
        note: String,
    },
    /// A plain field of the finding (category, severity, description) was changed, with the
    /// value it had on the editing device and the value written. Written in the same change as
    /// the edit itself, so the timeline shows who changed what, when, on which device; the
    /// server refuses a change that edits such a field without it.
    FieldEdited {
        /// Which field.
        field: EditedField,
        /// Its value before, as the editing device saw it.
        from: String,
        /// The value written.
        to: String,
    },
    /// A rectification notice (工程整改通知单) was issued: starts the 4-hour response clock.
    NoticeIssued {
        /// Notice number, e.g. `ZG-2026-0042`.
        notice_no: String,
        /// The contractor it is addressed to.
        contractor: ContractorId,
        /// When the repair must be done.
        repair_deadline: Timestamp,
    },
    /// The contractor refused the notice (penalty condition 1).
    NoticeRefused {
        /// The contractor's reason.
        reason: String,
    },
    /// The contractor is on site or presented a plan: stops the response clock.
    ContractorResponded {
        /// On site or plan.
        mode: ResponseMode,
        /// Free text.
        note: String,
    },
    /// The contractor disputes the assignment: its clock stops.
    Disputed {
        /// The contractor's reason.
        reason: String,
    },
    /// After a dispute or a refusal the finding goes to another contractor, with a fresh
    /// notice and a fresh four hours.
    Reassigned {
        /// The new notice number.
        notice_no: String,
        /// The new contractor.
        contractor: ContractorId,
        /// The new repair deadline.
        repair_deadline: Timestamp,
    },
    /// The contractor reports the repair done; awaits acceptance.
    RepairReported {
        /// Free text.
        note: String,
        /// Photos of the repair.
        evidence: Vec<BlobHash>,
    },
    /// The inspector accepted the repair on site.
    AcceptancePassed {
        /// Free text.
        note: String,
    },
    /// The repair failed acceptance (penalty condition 3).
    AcceptanceFailed {
        /// Why.
        reason: String,
    },
    /// The notice came back with the contractor's reply (missing in time: condition 5).
    NoticeReturned {
        /// The contractor's reply.
        reply: String,
    },
    /// Another team repairs at the contractor's cost (应急维修).
    EmergencyRepairStarted {
        /// The team doing it.
        team: String,
        /// Why.
        reason: String,
    },
    /// The emergency repair is done; awaits acceptance like any repair.
    EmergencyRepairFinished {
        /// Its cost in fen, charged to the contractor.
        cost_fen: i64,
    },
    /// A fine slip (罚款单) was drafted.
    FineDrafted {
        /// The fine's id, for approvals and voiding.
        fine: FineId,
        /// The contractor fined.
        contractor: ContractorId,
        /// The penalty condition that justifies it.
        condition: PenaltyCondition,
        /// Amount in fen; never below 5,000 CNY (500,000 fen).
        amount_fen: i64,
    },
    /// One approval of a fine slip.
    FineApproved {
        /// Which fine.
        fine: FineId,
        /// Which approval.
        step: FineApprovalStep,
    },
    /// A fine slip was voided (never deleted).
    FineVoided {
        /// Which fine.
        fine: FineId,
        /// Why; required.
        reason: String,
    },
    /// The owner was called back (回访).
    Callback {
        /// Phone or visit.
        channel: CallbackChannel,
        /// How satisfied the owner is.
        level: Satisfaction,
        /// Free text.
        note: String,
    },
    /// An owner's claim (索赔) was recorded.
    ClaimRecorded {
        /// The claim's id.
        claim: ClaimId,
        /// What was damaged.
        damage: String,
        /// Amount claimed, in fen.
        claimed_fen: i64,
    },
    /// The amount agreed for a claim.
    ClaimAgreed {
        /// Which claim.
        claim: ClaimId,
        /// Amount agreed, in fen.
        agreed_fen: i64,
    },
    /// A claim was paid.
    ClaimPaid {
        /// Which claim.
        claim: ClaimId,
        /// Amount paid, in fen.
        paid_fen: i64,
    },
    /// This finding duplicates another and is merged into it: it counts once, there.
    MergedInto {
        /// The surviving finding.
        other: FindingId,
    },
    /// Another finding was merged into this one.
    MergedFrom {
        /// The merged finding.
        other: FindingId,
    },
    /// The case is reopened by hand (a callback of 不满意 reopens it by itself).
    Reopened {
        /// Why.
        reason: String,
    },
    /// The case is closed.
    Closed {
        /// Why.
        reason: String,
    },
    /// The case is cancelled; "not a defect" cancellations count nowhere.
    Cancelled {
        /// Why.
        reason: String,
        /// Whether the finding turned out not to be a defect.
        not_a_defect: bool,
    },
}

impl EventKind {
    /// The kind's row of the event catalogue: its stable machine name (`notice_issued`, for
    /// logs and tables), and what happened in Chinese and in English (for timelines). One table,
    /// so that a new kind gets all three at once.
    fn catalogue(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            EventKind::Recorded { .. } => ("recorded", "登记问题", "Recorded"),
            EventKind::EvidenceAdded { .. } => ("evidence_added", "补充照片", "Evidence added"),
            EventKind::EvidenceRequested { .. } => {
                ("evidence_requested", "要求补充证据", "Evidence requested")
            }
            EventKind::EvidenceReviewed { .. } => (
                "evidence_reviewed",
                "复核验收后新增照片",
                "New photos reviewed",
            ),
            EventKind::FieldEdited { .. } => ("field_edited", "修改问题信息", "Finding edited"),
            EventKind::NoticeIssued { .. } => ("notice_issued", "下发整改通知单", "Notice issued"),
            EventKind::NoticeRefused { .. } => {
                ("notice_refused", "施工单位拒绝整改", "Notice refused")
            }
            EventKind::ContractorResponded { .. } => (
                "contractor_responded",
                "施工单位响应",
                "Contractor responded",
            ),
            EventKind::Disputed { .. } => ("disputed", "施工单位提出异议", "Disputed"),
            EventKind::Reassigned { .. } => ("reassigned", "改派施工单位", "Reassigned"),
            EventKind::RepairReported { .. } => {
                ("repair_reported", "报告整改完成", "Repair reported")
            }
            EventKind::AcceptancePassed { .. } => {
                ("acceptance_passed", "验收合格", "Acceptance passed")
            }
            EventKind::AcceptanceFailed { .. } => {
                ("acceptance_failed", "验收不合格", "Acceptance failed")
            }
            EventKind::NoticeReturned { .. } => {
                ("notice_returned", "通知单回执", "Notice returned")
            }
            EventKind::EmergencyRepairStarted { .. } => (
                "emergency_repair_started",
                "启动应急维修",
                "Emergency repair started",
            ),
            EventKind::EmergencyRepairFinished { .. } => (
                "emergency_repair_finished",
                "应急维修完成",
                "Emergency repair finished",
            ),
            EventKind::FineDrafted { .. } => ("fine_drafted", "开具罚款单", "Fine drafted"),
            EventKind::FineApproved { .. } => ("fine_approved", "罚款审批", "Fine approved"),
            EventKind::FineVoided { .. } => ("fine_voided", "罚款作废", "Fine voided"),
            EventKind::Callback { .. } => ("callback", "回访", "Callback"),
            EventKind::ClaimRecorded { .. } => ("claim_recorded", "登记索赔", "Claim recorded"),
            EventKind::ClaimAgreed { .. } => ("claim_agreed", "索赔金额确认", "Claim agreed"),
            EventKind::ClaimPaid { .. } => ("claim_paid", "索赔已支付", "Claim paid"),
            EventKind::MergedInto { .. } => ("merged_into", "合并到其他案件", "Merged into"),
            EventKind::MergedFrom { .. } => ("merged_from", "合并了其他案件", "Merged from"),
            EventKind::Reopened { .. } => ("reopened", "重新打开", "Reopened"),
            EventKind::Closed { .. } => ("closed", "结案", "Closed"),
            EventKind::Cancelled { .. } => ("cancelled", "取消", "Cancelled"),
        }
    }

    /// The stable machine name of the kind (`notice_issued`, …), for logs and tables.
    pub fn name(&self) -> &'static str {
        self.catalogue().0
    }

    /// What happened, in Chinese, for timelines.
    pub fn label_zh(&self) -> &'static str {
        self.catalogue().1
    }

    /// What happened, in English, for timelines.
    pub fn label_en(&self) -> &'static str {
        self.catalogue().2
    }

    /// The roles that may append this event. The server refuses a change that appends an
    /// event its author's role may not (an inspector approving a fine, a contractor accepting
    /// its own repair). Office roles may record a contractor's answers on its behalf (a phone
    /// call, a paper reply).
    pub fn allowed_roles(&self) -> &'static [Role] {
        use Role::*;
        const OFFICE_RECORDS_CONTRACTOR: &[Role] =
            &[Contractor, Inspector, Manager, Coordinator, FrontDesk];
        match self {
            EventKind::Recorded { .. } => &[Inspector, FrontDesk, CustomerRep, Manager],
            EventKind::EvidenceAdded { .. } => {
                &[Inspector, FrontDesk, CustomerRep, Manager, Contractor]
            }
            EventKind::EvidenceRequested { .. } => &[Inspector, Manager, Coordinator, FrontDesk],
            EventKind::EvidenceReviewed { .. } => &[Inspector, Manager],
            EventKind::FieldEdited { .. } => {
                &[Inspector, Manager, Coordinator, FrontDesk, CustomerRep]
            }
            EventKind::NoticeIssued { .. } | EventKind::Reassigned { .. } => {
                &[Inspector, Manager, Coordinator]
            }
            EventKind::NoticeRefused { .. }
            | EventKind::ContractorResponded { .. }
            | EventKind::Disputed { .. }
            | EventKind::RepairReported { .. }
            | EventKind::NoticeReturned { .. } => OFFICE_RECORDS_CONTRACTOR,
            EventKind::AcceptancePassed { .. } | EventKind::AcceptanceFailed { .. } => {
                &[Inspector, Manager]
            }
            EventKind::EmergencyRepairStarted { .. } => &[Manager, Coordinator],
            EventKind::EmergencyRepairFinished { .. } => &[Manager, Coordinator, Inspector],
            EventKind::FineDrafted { .. } => &[Inspector, Coordinator],
            EventKind::FineApproved {
                step: FineApprovalStep::Leader,
                ..
            } => &[Coordinator],
            EventKind::FineApproved {
                step: FineApprovalStep::Manager,
                ..
            } => &[Manager],
            EventKind::FineVoided { .. } => &[Coordinator, Manager],
            EventKind::Callback { .. } => &[FrontDesk, CustomerRep, Manager],
            EventKind::ClaimRecorded { .. } => &[Inspector, FrontDesk, Manager],
            EventKind::ClaimAgreed { .. } | EventKind::ClaimPaid { .. } => &[Manager],
            EventKind::MergedInto { .. } | EventKind::MergedFrom { .. } => &[Inspector, Manager],
            EventKind::Reopened { .. } => &[Inspector, Manager, FrontDesk],
            EventKind::Closed { .. } | EventKind::Cancelled { .. } => &[Inspector, Manager],
        }
    }

    /// Whether `role` may append this event.
    pub fn allows(&self, role: Role) -> bool {
        self.allowed_roles().contains(&role)
    }

    /// Whether the event carries a number from one of the server's series (a notice's
    /// `ZG-…`, a fine slip's `FK-…`). Such events are written only by the server, which takes
    /// the number in the same transaction: a device that sent one could invent a number,
    /// reuse one, or leave a gap that an auditor reads as a deleted document. Phones ask the
    /// office to issue notices and slips; sync refuses these events from any device.
    pub fn numbered_by_server(&self) -> bool {
        matches!(
            self,
            EventKind::NoticeIssued { .. }
                | EventKind::Reassigned { .. }
                | EventKind::FineDrafted { .. }
        )
    }

    /// The free-text fields of the event, for bounding their length.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            EventKind::EvidenceRequested { note, .. }
            | EventKind::EvidenceReviewed { note }
            | EventKind::ContractorResponded { note, .. }
            | EventKind::RepairReported { note, .. }
            | EventKind::AcceptancePassed { note }
            | EventKind::Callback { note, .. } => vec![note],
            EventKind::NoticeIssued { notice_no, .. } | EventKind::Reassigned { notice_no, .. } => {
                vec![notice_no]
            }
            EventKind::NoticeRefused { reason }
            | EventKind::Disputed { reason }
            | EventKind::AcceptanceFailed { reason }
            | EventKind::FineVoided { reason, .. }
            | EventKind::Reopened { reason }
            | EventKind::Closed { reason }
            | EventKind::Cancelled { reason, .. } => vec![reason],
            EventKind::NoticeReturned { reply } => vec![reply],
            EventKind::EmergencyRepairStarted { team, reason } => vec![team, reason],
            EventKind::ClaimRecorded { damage, .. } => vec![damage],
            // Bounded as descriptions are (`MAX_DESCRIPTION_CHARS`), see `edited_texts`.
            EventKind::FieldEdited { .. }
            | EventKind::Recorded { .. }
            | EventKind::EvidenceAdded { .. }
            | EventKind::EmergencyRepairFinished { .. }
            | EventKind::FineDrafted { .. }
            | EventKind::FineApproved { .. }
            | EventKind::ClaimAgreed { .. }
            | EventKind::ClaimPaid { .. }
            | EventKind::MergedInto { .. }
            | EventKind::MergedFrom { .. } => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contractors_cannot_accept_or_approve() {
        let accept = EventKind::AcceptancePassed {
            note: String::new(),
        };
        assert!(!accept.allows(Role::Contractor));
        assert!(accept.allows(Role::Inspector));
        let approve = EventKind::FineApproved {
            fine: FineId::new("f1").unwrap(),
            step: FineApprovalStep::Leader,
        };
        assert!(!approve.allows(Role::Inspector));
        assert!(approve.allows(Role::Coordinator));
    }

    #[test]
    fn every_role_list_is_non_empty() {
        let repair = EventKind::RepairReported {
            note: String::new(),
            evidence: vec![],
        };
        assert!(repair.allows(Role::Contractor));
        assert!(
            !EventKind::Recorded {
                origin: Origin::Inspection
            }
            .allows(Role::Contractor)
        );
    }
}
