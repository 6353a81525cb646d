//! Anomalies: events that make no sense where they stand.
//!
//! After a sync, a timeline may hold events that contradict each other (two people acted on
//! stale views) or break a rule (a fine below the minimum). The workflow never panics on them
//! and never drops them silently: each becomes an [`Anomaly`] on the case state, for a person
//! to review, and the event's effect is skipped where applying it would corrupt the state.

use serde::{Deserialize, Serialize};

use crate::ids::EventId;

/// What kind of thing is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// The timeline does not start with a `recorded` event.
    MissingRecorded,
    /// A second `recorded` event.
    DuplicateRecorded,
    /// Two different events carry the same id; the first in timeline order is used.
    ConflictingDuplicate,
    /// The event does not fit the case's status (e.g. a contractor response with no notice).
    OutOfPlace,
    /// An acceptance (passed or failed) with no repair reported.
    AcceptanceWithoutRepair,
    /// A callback on a case that is closed and already had its callback.
    SecondCallbackOnClosed,
    /// A callback before any repair was accepted.
    CallbackBeforeAcceptance,
    /// A fine below 5,000 CNY; the fine is not counted.
    FineBelowMinimum,
    /// A fine drafted for a condition the timeline does not show.
    FineWithoutCondition,
    /// An approval, void or draft that names an unknown or repeated fine.
    FineUnknown,
    /// A fine approval out of order, repeated, or on a voided fine.
    FineApprovalOutOfOrder,
    /// A fine voided without a reason; the void is not applied.
    FineVoidWithoutReason,
    /// A fine approved by its drafter, or both steps by one person; the approval is not
    /// applied.
    FineSameApprover,
    /// A claim event for an unknown claim, or a repeated claim id.
    ClaimUnknown,
    /// A negative amount, or a payment above the agreed amount.
    AmountInvalid,
    /// A repair deadline at or before the notice itself.
    DeadlineBeforeNotice,
    /// The device clock was off by more than the bound: the receipt time was used.
    ClockSkew,
    /// An event after the case was cancelled or merged.
    AfterEnd,
}

impl AnomalyKind {
    /// The Chinese label shown to office staff.
    pub fn label_zh(self) -> &'static str {
        match self {
            AnomalyKind::MissingRecorded => "缺少登记记录",
            AnomalyKind::DuplicateRecorded => "重复登记",
            AnomalyKind::ConflictingDuplicate => "同一编号的事件内容不同",
            AnomalyKind::OutOfPlace => "事件与案件状态不符",
            AnomalyKind::AcceptanceWithoutRepair => "未报完工即验收",
            AnomalyKind::SecondCallbackOnClosed => "已关闭案件重复回访",
            AnomalyKind::CallbackBeforeAcceptance => "验收前回访",
            AnomalyKind::FineBelowMinimum => "罚款低于5000元",
            AnomalyKind::FineWithoutCondition => "罚款条件在记录中不成立",
            AnomalyKind::FineUnknown => "罚款单不存在或重复",
            AnomalyKind::FineApprovalOutOfOrder => "罚款审批顺序错误",
            AnomalyKind::FineVoidWithoutReason => "作废罚款缺少原因",
            AnomalyKind::FineSameApprover => "罚款审批未由另一人作出",
            AnomalyKind::ClaimUnknown => "索赔记录不存在或重复",
            AnomalyKind::AmountInvalid => "金额无效",
            AnomalyKind::DeadlineBeforeNotice => "整改期限早于通知时间",
            AnomalyKind::ClockSkew => "设备时钟偏差过大",
            AnomalyKind::AfterEnd => "案件结束后的事件",
        }
    }
}

impl AnomalyKind {
    /// The English label, for the English pages.
    pub fn label_en(self) -> &'static str {
        match self {
            AnomalyKind::MissingRecorded => "The record of the finding is missing",
            AnomalyKind::DuplicateRecorded => "Recorded twice",
            AnomalyKind::ConflictingDuplicate => "Two different events with one id",
            AnomalyKind::OutOfPlace => "An event that does not fit the case's status",
            AnomalyKind::AcceptanceWithoutRepair => "Acceptance with no repair reported",
            AnomalyKind::SecondCallbackOnClosed => "A second callback on a closed case",
            AnomalyKind::CallbackBeforeAcceptance => "A callback before acceptance",
            AnomalyKind::FineBelowMinimum => "A fine below 5,000 yuan",
            AnomalyKind::FineWithoutCondition => "A fine whose condition does not hold",
            AnomalyKind::FineUnknown => "An unknown or repeated fine slip",
            AnomalyKind::FineApprovalOutOfOrder => "Fine approvals out of order",
            AnomalyKind::FineVoidWithoutReason => "A fine voided without a reason",
            AnomalyKind::FineSameApprover => "A fine approved by no second person",
            AnomalyKind::ClaimUnknown => "An unknown or repeated claim",
            AnomalyKind::AmountInvalid => "An invalid amount",
            AnomalyKind::DeadlineBeforeNotice => "A repair deadline before the notice",
            AnomalyKind::ClockSkew => "The device clock was off",
            AnomalyKind::AfterEnd => "An event after the case ended",
        }
    }
}

/// One anomaly on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    /// What is wrong.
    pub kind: AnomalyKind,
    /// The event concerned, when there is one.
    pub event: Option<EventId>,
    /// A sentence for a person, in English (the label is the Chinese summary).
    pub detail: String,
}
