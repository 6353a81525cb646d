//! Table-driven tests of the office actions' preconditions (`workflow::may`): for every status a
//! case can reach and every step, `may` allows the step exactly when the workflow would take it
//! without an anomaly; and the rules only an action taken now can obey — reasons, separation of
//! duties, claim amounts — each refuse with their facts.
#![allow(clippy::unwrap_used)] // test helpers panic on bad fixtures, by design

use std::collections::BTreeMap;

use plumbline_shared::event::{
    CallbackChannel, Event, EventKind, EvidenceRequestReason, FineApprovalStep, Origin,
    ResponseMode, Satisfaction,
};
use plumbline_shared::ids::{BlobHash, ClaimId, ContractorId, DeviceId, EventId, FineId, UserId};
use plumbline_shared::lang::Lang;
use plumbline_shared::role::{Actor, Role};
use plumbline_shared::time::{DAY_MS, HOUR_MS, Timestamp};
use plumbline_shared::workflow::may::{Person, Refusal, may};
use plumbline_shared::workflow::{
    CaseState, FineStatus, PenaltyCondition, Status, Timeline, WorkflowSettings,
};

const T0: i64 = 1_800_000_000_000;

fn user(name: &str) -> UserId {
    UserId::new(name).unwrap()
}

fn civil() -> ContractorId {
    ContractorId::new("civil").unwrap()
}

/// A timeline under construction; each event an hour after the one before.
#[derive(Clone, Default)]
struct Case {
    events: Vec<Event>,
}

impl Case {
    fn recorded() -> Self {
        Case::default().then(
            "wang",
            Role::Inspector,
            EventKind::Recorded {
                origin: Origin::Inspection,
            },
        )
    }

    fn then(mut self, who: &str, role: Role, kind: EventKind) -> Self {
        let n = self.events.len();
        self.events.push(Event {
            id: EventId::new(format!("e{n:03}")).unwrap(),
            kind,
            actor: Actor {
                user: user(who),
                role,
                device: DeviceId::new(format!("{who}-phone")).unwrap(),
            },
            at: Timestamp(T0 + n as i64 * HOUR_MS),
        });
        self
    }

    fn by(self, kind: EventKind) -> Self {
        let role = kind.allowed_roles()[0];
        self.then("someone", role, kind)
    }

    fn now(&self) -> Timestamp {
        Timestamp(T0 + self.events.len() as i64 * HOUR_MS)
    }

    fn state(&self) -> CaseState {
        let receipts = BTreeMap::new();
        let timeline = Timeline {
            events: &self.events,
            receipts: &receipts,
        };
        CaseState::derive(&timeline, self.now(), &WorkflowSettings::default())
    }
}

/// A case whose notice's repair was reported and accepted.
fn accepted() -> Case {
    Case::recorded()
        .by(notice())
        .by(EventKind::RepairReported {
            note: String::new(),
            evidence: Vec::new(),
        })
        .by(EventKind::AcceptancePassed {
            note: String::new(),
        })
}

fn notice() -> EventKind {
    EventKind::NoticeIssued {
        notice_no: "ZG-2027-0001".into(),
        contractor: civil(),
        repair_deadline: Timestamp(T0 + 30 * DAY_MS),
    }
}

fn emergency() -> EventKind {
    EventKind::EmergencyRepairStarted {
        team: "应急队".into(),
        reason: "夜间漏水".into(),
    }
}

/// Cases in every status the workflow reaches, by the way they got there.
fn cases() -> Vec<(&'static str, Case)> {
    let noticed = Case::recorded().by(notice());
    let responded = noticed.clone().by(EventKind::ContractorResponded {
        mode: ResponseMode::OnSite,
        note: String::new(),
    });
    let reported = responded.clone().by(EventKind::RepairReported {
        note: String::new(),
        evidence: Vec::new(),
    });
    let accepted = reported.clone().by(EventKind::AcceptancePassed {
        note: String::new(),
    });
    let called = accepted.clone().by(callback(Satisfaction::Satisfied, ""));
    let night = Case::recorded().by(emergency());
    vec![
        ("open", Case::recorded()),
        ("notified", noticed.clone()),
        (
            "refused",
            noticed.clone().by(EventKind::NoticeRefused {
                reason: "不是我方".into(),
            }),
        ),
        ("in repair", responded.clone()),
        (
            "disputed",
            noticed.clone().by(EventKind::Disputed {
                reason: "范围外".into(),
            }),
        ),
        ("repair reported", reported.clone()),
        ("accepted", accepted.clone()),
        ("called back", called.clone()),
        (
            "a photo after the acceptance",
            accepted.clone().by(EventKind::EvidenceAdded {
                hash: BlobHash::of(b"late photo"),
            }),
        ),
        (
            "closed before a callback",
            accepted.clone().by(EventKind::Closed {
                reason: "业主出国".into(),
            }),
        ),
        (
            "closed after a callback",
            called.clone().by(EventKind::Closed {
                reason: "完成".into(),
            }),
        ),
        (
            "reopened",
            accepted
                .clone()
                .by(callback(Satisfaction::Dissatisfied, "仍渗水")),
        ),
        ("emergency at night", night.clone()),
        (
            "emergency finished, no notice",
            night
                .clone()
                .by(EventKind::EmergencyRepairFinished { cost_fen: 120_000 }),
        ),
        ("emergency on a notice", noticed.clone().by(emergency())),
        (
            "cancelled",
            Case::recorded().by(EventKind::Cancelled {
                reason: "重复".into(),
                not_a_defect: false,
            }),
        ),
        (
            "merged",
            Case::recorded().by(EventKind::MergedInto {
                other: "f-other".parse().unwrap(),
            }),
        ),
    ]
}

fn callback(level: Satisfaction, note: &str) -> EventKind {
    EventKind::Callback {
        channel: CallbackChannel::Phone,
        level,
        note: note.into(),
    }
}

/// Every case step, with its texts filled in (blank texts are the next test's subject).
fn steps() -> Vec<EventKind> {
    vec![
        notice(),
        EventKind::NoticeRefused {
            reason: "不是我方".into(),
        },
        EventKind::ContractorResponded {
            mode: ResponseMode::Plan,
            note: "方案".into(),
        },
        EventKind::Disputed {
            reason: "范围外".into(),
        },
        EventKind::Reassigned {
            notice_no: "ZG-2027-0002".into(),
            contractor: ContractorId::new("plumbing").unwrap(),
            repair_deadline: Timestamp(T0 + 40 * DAY_MS),
        },
        EventKind::RepairReported {
            note: "好了".into(),
            evidence: Vec::new(),
        },
        emergency(),
        EventKind::EmergencyRepairFinished { cost_fen: 50_000 },
        EventKind::AcceptancePassed {
            note: "合格".into(),
        },
        EventKind::AcceptanceFailed {
            reason: "仍渗水".into(),
        },
        EventKind::NoticeReturned {
            reply: "已整改".into(),
        },
        callback(Satisfaction::BasicallySatisfied, ""),
        callback(Satisfaction::Dissatisfied, "仍渗水"),
        EventKind::EvidenceRequested {
            reason: EvidenceRequestReason::Reshoot,
            note: "看不清".into(),
        },
        EventKind::EvidenceAdded {
            hash: BlobHash::of(b"photo"),
        },
        EventKind::EvidenceReviewed {
            note: "照片显示已修好".into(),
        },
        EventKind::Reopened {
            reason: "复发".into(),
        },
        EventKind::Closed {
            reason: "完成".into(),
        },
        EventKind::Cancelled {
            reason: "非缺陷".into(),
            not_a_defect: true,
        },
    ]
}

#[test]
fn a_step_is_allowed_exactly_when_the_workflow_takes_it_without_an_anomaly() {
    let mut checked = 0;
    for (name, case) in cases() {
        let before = case.state();
        for kind in steps() {
            for &role in kind.allowed_roles() {
                let someone = user("someone");
                let verdict = may(
                    &kind,
                    Person {
                        user: &someone,
                        role,
                    },
                    &before,
                );
                let after = case.clone().then("someone", role, kind.clone()).state();
                let clean = after.anomalies.len() == before.anomalies.len();
                assert_eq!(
                    verdict.is_ok(),
                    clean,
                    "{name} ({:?}) + {} by {role:?}: may says {verdict:?}, the workflow's anomalies {:?}",
                    before.status,
                    kind.name(),
                    after.anomalies
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn every_status_is_reached_by_the_table() {
    let reached: std::collections::BTreeSet<Status> =
        cases().iter().map(|(_, c)| c.state().status).collect();
    assert_eq!(reached.len(), Status::ALL.len(), "{reached:?}");
}

#[test]
fn roles_and_blank_reasons_are_refused_with_their_facts() {
    let noticed = Case::recorded().by(notice()).state();
    let wang = user("wang");
    let front = Person {
        user: &wang,
        role: Role::FrontDesk,
    };
    assert_eq!(
        may(&notice(), front, &Case::recorded().state()),
        Err(Refusal::Role {
            role: Role::FrontDesk,
            action: "notice_issued"
        })
    );
    let inspector = Person {
        user: &wang,
        role: Role::Inspector,
    };
    assert_eq!(
        may(
            &EventKind::Disputed {
                reason: "  ".into()
            },
            inspector,
            &noticed
        ),
        Err(Refusal::ReasonRequired)
    );
    assert_eq!(
        may(&notice(), inspector, &noticed),
        Err(Refusal::NotNow {
            action: "notice_issued",
            status: Status::Notified
        })
    );
    // A dissatisfied owner's callback needs the owner's reason; a satisfied one does not.
    let accepted = accepted().state();
    let desk = Person {
        user: &wang,
        role: Role::FrontDesk,
    };
    assert_eq!(
        may(&callback(Satisfaction::Dissatisfied, " "), desk, &accepted),
        Err(Refusal::ReasonRequired)
    );
    assert_eq!(
        may(&callback(Satisfaction::Satisfied, ""), desk, &accepted),
        Ok(())
    );
    // Every refusal has a sentence in both languages.
    let refusal = may(&notice(), front, &noticed).unwrap_err();
    assert!(refusal.sentence(Lang::Zh).contains("角色"));
    assert!(refusal.sentence(Lang::En).contains("role"));
}

#[test]
fn a_night_emergency_before_the_notice_is_charged_to_the_contractor_the_notice_names() {
    let night = Case::recorded()
        .by(emergency())
        .by(EventKind::EmergencyRepairFinished { cost_fen: 180_000 });
    let li = user("liqiang");
    let coordinator = Person {
        user: &li,
        role: Role::Coordinator,
    };
    assert_eq!(may(&notice(), coordinator, &night.state()), Ok(()));
    let morning = night.by(notice()).state();
    assert!(morning.anomalies.is_empty(), "{:?}", morning.anomalies);
    assert_eq!(morning.status, Status::RepairReported);
    assert_eq!(morning.contractor, Some(civil()));
    assert_eq!(morning.emergency_repairs[0].charged_to, Some(civil()));
    // The contractor's clocks never ran: no response is overdue, however late it is read.
    let n = morning.notice.as_ref().unwrap();
    assert!(n.clock_stopped_at.is_some());
    assert!(!morning.response_overdue);
    // A second notice is another matter.
    assert!(may(&notice(), coordinator, &morning).is_err());
}

/// A case whose contractor refused its notice (condition 1), with a slip drafted by `drafter`.
fn fined(drafter: &str) -> (Case, FineId) {
    let fine = FineId::new("FK-2027-0001").unwrap();
    let case = Case::recorded()
        .by(notice())
        .by(EventKind::NoticeRefused {
            reason: "不是我方".into(),
        })
        .then(
            drafter,
            Role::Coordinator,
            EventKind::FineDrafted {
                fine: fine.clone(),
                contractor: civil(),
                condition: PenaltyCondition::Refused,
                amount_fen: 500_000,
            },
        );
    (case, fine)
}

#[test]
fn a_fine_needs_a_second_person_for_each_approval() {
    let (case, fine) = fined("liqiang");
    let leader = |fine: &FineId| EventKind::FineApproved {
        fine: fine.clone(),
        step: FineApprovalStep::Leader,
    };
    let manager = |fine: &FineId| EventKind::FineApproved {
        fine: fine.clone(),
        step: FineApprovalStep::Manager,
    };
    let li = user("liqiang");
    let drafter = Person {
        user: &li,
        role: Role::Coordinator,
    };
    assert_eq!(
        may(&leader(&fine), drafter, &case.state()),
        Err(Refusal::OwnDraft { fine: fine.clone() })
    );
    // Appended anyway (by a phone offline), the approval is an anomaly and changes nothing.
    let selfish = case
        .clone()
        .then("liqiang", Role::Coordinator, leader(&fine))
        .state();
    assert_eq!(selfish.fines[0].status, FineStatus::Drafted);
    assert_eq!(
        selfish.anomalies.last().unwrap().kind,
        plumbline_shared::workflow::AnomalyKind::FineSameApprover
    );

    let other = user("zhangwei");
    let second = Person {
        user: &other,
        role: Role::Coordinator,
    };
    assert_eq!(may(&leader(&fine), second, &case.state()), Ok(()));
    let approved = case.then("zhangwei", Role::Coordinator, leader(&fine));
    let st = approved.state();
    assert_eq!(st.fines[0].status, FineStatus::LeaderApproved);
    assert_eq!(st.fines[0].approved_by, vec![other.clone()]);
    // The manager step: out of order for the leader, and never by the leader who approved.
    let same = Person {
        user: &other,
        role: Role::Manager,
    };
    assert_eq!(
        may(&manager(&fine), same, &st),
        Err(Refusal::SameApprover { fine: fine.clone() })
    );
    let zhao = user("zhaomin");
    let boss = Person {
        user: &zhao,
        role: Role::Manager,
    };
    assert_eq!(may(&manager(&fine), boss, &st), Ok(()));
    assert!(matches!(
        may(&leader(&fine), second, &st),
        Err(Refusal::ApprovalOutOfOrder { .. })
    ));
}

#[test]
fn a_claim_is_agreed_within_what_was_claimed_and_paid_within_what_remains() {
    let claim = ClaimId::new("c1").unwrap();
    let case = Case::recorded().by(EventKind::ClaimRecorded {
        claim: claim.clone(),
        damage: "楼下吊顶".into(),
        claimed_fen: 300_000,
    });
    let zhao = user("zhaomin");
    let manager = Person {
        user: &zhao,
        role: Role::Manager,
    };
    let agree = |fen| EventKind::ClaimAgreed {
        claim: claim.clone(),
        agreed_fen: fen,
    };
    let pay = |fen| EventKind::ClaimPaid {
        claim: claim.clone(),
        paid_fen: fen,
    };
    assert_eq!(
        may(&agree(300_001), manager, &case.state()),
        Err(Refusal::AgreedAboveClaimed {
            claimed_fen: 300_000,
            agreed_fen: 300_001
        })
    );
    assert_eq!(
        may(&pay(1), manager, &case.state()),
        Err(Refusal::NotAgreed {
            claim: claim.clone()
        })
    );
    let agreed = case.by(agree(250_000));
    let part = agreed.by(pay(100_000));
    let st = part.state();
    assert_eq!(st.claims[0].paid_fen, Some(100_000));
    assert_eq!(st.claims[0].remaining_fen(), Some(150_000));
    assert!(!st.claims[0].settled());
    assert_eq!(
        may(&pay(150_001), manager, &st),
        Err(Refusal::PaidAboveRemaining {
            paid_fen: 150_001,
            remaining_fen: 150_000
        })
    );
    assert_eq!(
        may(&agree(200_000), manager, &st),
        Err(Refusal::PaymentStarted {
            claim: claim.clone()
        })
    );
    let paid = part.by(pay(150_000)).state();
    assert!(paid.claims[0].settled(), "{:?}", paid.claims);
    assert!(paid.anomalies.is_empty(), "{:?}", paid.anomalies);
}

#[test]
fn a_condition_takes_one_slip_each_time_it_held_and_a_void_slip_frees_its_place() {
    let (case, fine) = fined("wang");
    let li = user("liqiang");
    let coordinator = Person {
        user: &li,
        role: Role::Coordinator,
    };
    let draft = |contractor: ContractorId| EventKind::FineDrafted {
        fine: FineId::new("FK-2027-0002").unwrap(),
        contractor,
        condition: PenaltyCondition::Refused,
        amount_fen: 600_000,
    };
    assert_eq!(
        may(&draft(civil()), coordinator, &case.state()),
        Err(Refusal::ConditionAlreadyFined {
            condition: PenaltyCondition::Refused,
            existing: fine.clone()
        })
    );
    let other = ContractorId::new("plumbing").unwrap();
    assert!(matches!(
        may(&draft(other), coordinator, &case.state()),
        Err(Refusal::ConditionNotHeld { .. })
    ));
    let below = EventKind::FineDrafted {
        fine: FineId::new("FK-2027-0003").unwrap(),
        contractor: civil(),
        condition: PenaltyCondition::Refused,
        amount_fen: 499_999,
    };
    assert_eq!(
        may(&below, coordinator, &case.state()),
        Err(Refusal::FineBelowMinimum)
    );
    let voided = case.then(
        "zhaomin",
        Role::Manager,
        EventKind::FineVoided {
            fine,
            reason: "金额有误".into(),
        },
    );
    assert_eq!(may(&draft(civil()), coordinator, &voided.state()), Ok(()));
}

#[test]
fn a_photo_after_the_acceptance_waits_for_an_engineer_until_reviewed_or_reopened() {
    let accepted = accepted();
    let photo = |n: &[u8]| EventKind::EvidenceAdded {
        hash: BlobHash::of(n),
    };
    assert_eq!(accepted.state().evidence_after_acceptance, 0);
    let late = accepted.clone().by(photo(b"a")).by(photo(b"b"));
    assert_eq!(late.state().evidence_after_acceptance, 2);
    let reviewed = late.clone().by(EventKind::EvidenceReviewed {
        note: "已修好".into(),
    });
    assert_eq!(reviewed.state().evidence_after_acceptance, 0);
    assert!(reviewed.state().anomalies.is_empty());
    let reopened = late.by(EventKind::Reopened {
        reason: "照片显示仍渗水".into(),
    });
    assert_eq!(reopened.state().evidence_after_acceptance, 0);
    assert_eq!(reopened.state().status, Status::Reopened);
}
