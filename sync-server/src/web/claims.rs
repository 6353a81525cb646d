//! Owner claims (索赔) on a case: recording what was damaged and the amount claimed, agreeing
//! an amount, and marking it paid.
//!
//! Like everything else on a case, a claim is events on the finding's timeline —
//! `ClaimRecorded` (damage, amount claimed), `ClaimAgreed` (amount agreed), `ClaimPaid`
//! (amount paid) — and the workflow derives where it stands ([`Claim`]). Who may record a claim
//! and who may agree and pay it is `EventKind::allows` (the manager decides on money), the rule
//! the sync applies to devices too.
//!
//! The rules the office web adds, checked under the document's lock: an amount is agreed before
//! it is paid, a payment is not above the agreed amount (the workflow flags that too), a claim
//! is paid once, and its agreed amount no longer changes once paid. An agreed amount may be
//! above the amount claimed — the owner's first figure can be an underestimate — and changed
//! until it is paid, since the timeline keeps every figure agreed.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::{ClaimId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::workflow::{CaseState, Claim};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::case_actions::MAX_TEXT_CHARS;
use super::case_detail::{
    append_checked, bad_request, checked_post, context, load, not_found, role_refusal,
    unreadable_form,
};
use super::fines::Signature;
use super::i18n::{Lang, Msg};
use super::layout::{internal, message_page};
use super::money::{parse_yuan, yuan};
use super::session::Staff;
use crate::state::AppState;

/// A claim as the case page shows it, with who recorded it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimView {
    /// The claim as the workflow derives it.
    pub claim: Claim,
    /// Who recorded it.
    pub recorded: Option<Signature>,
}

/// Every claim of the case, in recording order.
pub(super) fn claim_views(
    finding: &Finding,
    state: &CaseState,
    names: &BTreeMap<UserId, String>,
) -> Vec<ClaimView> {
    state
        .claims
        .iter()
        .map(|claim| {
            ClaimView {
            recorded: finding
                .events
                .iter()
                .filter(|e| {
                    matches!(&e.kind, EventKind::ClaimRecorded { claim: id, .. } if id == &claim.id)
                })
                .min_by_key(|e| (e.at, e.id.clone()))
                .map(|e| Signature::of(e, names)),
            claim: claim.clone(),
        }
        })
        .collect()
}

fn status_label(claim: &Claim, lang: Lang) -> &'static str {
    match (claim.agreed_fen, claim.paid_fen) {
        (_, Some(_)) => Msg::ClaimPaid,
        (Some(_), None) => Msg::ClaimAwaitingPayment,
        (None, None) => Msg::ClaimAwaitingAgreement,
    }
    .text(lang)
}

/// A placeholder claim id for role checks, which depend on the kind of event only.
fn probe_id() -> ClaimId {
    ClaimId::new("probe").expect("`probe` is a valid id")
}

fn may(role: Role, kind: EventKind) -> bool {
    kind.allows(role)
}

/// The section of the case page: the claims, their actions for the person's role, and the
/// form to record one.
#[derive(Debug, Props, Clone, PartialEq)]
pub struct ClaimSectionProps {
    lang: Lang,
    /// The case page's path.
    base: String,
    csrf: String,
    /// The person's role in the project.
    role: Role,
    claims: Vec<ClaimView>,
}

impl ClaimSectionProps {
    /// The props of the section on the page of the case at `base`.
    pub fn new(lang: Lang, base: String, csrf: String, role: Role, claims: Vec<ClaimView>) -> Self {
        Self {
            lang,
            base,
            csrf,
            role,
            claims,
        }
    }
}

/// The claims of a case (see [`ClaimSectionProps`]).
#[allow(non_snake_case)] // a component
pub fn ClaimSection(p: ClaimSectionProps) -> Element {
    let lang = p.lang;
    let may_record = may(
        p.role,
        EventKind::ClaimRecorded {
            claim: probe_id(),
            damage: String::new(),
            claimed_fen: 0,
        },
    );
    let may_agree = may(
        p.role,
        EventKind::ClaimAgreed {
            claim: probe_id(),
            agreed_fen: 0,
        },
    );
    let may_pay = may(
        p.role,
        EventKind::ClaimPaid {
            claim: probe_id(),
            paid_fen: 0,
        },
    );
    rsx! {
        section { id: "claims",
            h2 { {Msg::Claims.text(lang)} }
            if p.claims.is_empty() {
                p { {Msg::NoClaims.text(lang)} }
            } else {
                table { id: "claim-list",
                    thead { tr {
                        th { {Msg::Damage.text(lang)} }
                        th { {Msg::ClaimedYuan.text(lang)} }
                        th { {Msg::AgreedYuan.text(lang)} }
                        th { {Msg::PaidYuan.text(lang)} }
                        th { {Msg::Status.text(lang)} }
                        th { {Msg::Recorded.text(lang)} }
                        th { class: "noprint", "" }
                    } }
                    tbody {
                        for v in p.claims.iter() {
                            tr { id: "claim-{v.claim.id}",
                                td { "{v.claim.damage}" }
                                td { {yuan(v.claim.claimed_fen)} }
                                td { {v.claim.agreed_fen.map(yuan).unwrap_or_default()} }
                                td { {v.claim.paid_fen.map(yuan).unwrap_or_default()} }
                                td { class: "claim-status", {status_label(&v.claim, lang)} }
                                td { {v.recorded.as_ref().map(|s| s.text(lang)).unwrap_or_default()} }
                                td { class: "noprint",
                                    if may_agree && v.claim.paid_fen.is_none() {
                                        form { method: "post", action: "{p.base}/claims/{v.claim.id}/agree",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            input { name: "amount", required: true, inputmode: "decimal", size: 10, placeholder: Msg::AgreedYuan.text(lang) }
                                            " "
                                            button { r#type: "submit", {Msg::AgreeClaim.text(lang)} }
                                        }
                                    }
                                    if may_pay && v.claim.paid_fen.is_none() {
                                        if let Some(agreed) = v.claim.agreed_fen {
                                            form { method: "post", action: "{p.base}/claims/{v.claim.id}/pay",
                                                input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                                input { name: "amount", required: true, inputmode: "decimal", size: 10, value: yuan(agreed).replace(',', "") }
                                                " "
                                                button { r#type: "submit", {Msg::PayClaim.text(lang)} }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if may_record {
                form { class: "noprint", method: "post", action: "{p.base}/claims", id: "claim-form",
                    h3 { {Msg::RecordClaim.text(lang)} }
                    input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                    label { {Msg::Damage.text(lang)} " "
                        input { name: "damage", required: true, maxlength: MAX_TEXT_CHARS as i64, size: 40 }
                    }
                    " "
                    label { {Msg::ClaimedYuan.text(lang)} " "
                        input { name: "amount", required: true, inputmode: "decimal", size: 12 }
                    }
                    " "
                    button { r#type: "submit", {Msg::RecordClaim.text(lang)} }
                }
            }
        }
    }
}

/// The form that records a claim.
#[derive(Debug, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    csrf: String,
    /// What was damaged.
    #[serde(default)]
    damage: String,
    /// Amount claimed, yuan as typed.
    #[serde(default)]
    amount: String,
}

/// The sentence for a bad amount, or the amount in fen; `at_least` is the smallest accepted.
fn amount(text: &str, at_least: i64, lang: Lang) -> Result<i64, String> {
    match parse_yuan(text) {
        Ok(fen) if fen >= at_least => Ok(fen),
        Ok(_) => Err(lang
            .pick("金额须大于 0。", "The amount must be above 0.")
            .to_owned()),
        Err(e) => {
            let (zh, en) = e.text();
            Err(lang.pick(zh, en).to_owned())
        }
    }
}

/// `POST /cases/{unit}/{finding}/claims`: records an owner's claim.
pub async fn record(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding)): Path<(String, String)>,
    form: Result<Form<RecordForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form(&staff);
    };
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let probe = EventKind::ClaimRecorded {
        claim: probe_id(),
        damage: String::new(),
        claimed_fen: 0,
    };
    if let Some(refused) = role_refusal(&staff, role, &probe) {
        return refused;
    }
    let damage = form.damage.trim().to_owned();
    if damage.is_empty() {
        let m = lang.pick("请填写损失内容。", "Write what was damaged.");
        return bad_request(&staff, m);
    }
    if damage.chars().count() > MAX_TEXT_CHARS {
        let m = lang.pick(
            "损失内容最多 500 字。",
            "What was damaged may have at most 500 characters.",
        );
        return bad_request(&staff, m);
    }
    let claimed_fen = match amount(&form.amount, 1, lang) {
        Ok(fen) => fen,
        Err(m) => return bad_request(&staff, &m),
    };
    let kind = EventKind::ClaimRecorded {
        claim: ClaimId::random(),
        damage,
        claimed_fen,
    };
    append_checked(&state, &staff, &unit, &finding, role, kind, |_| Ok(())).await
}

/// The form that agrees or pays an amount.
#[derive(Debug, Deserialize)]
pub struct AmountForm {
    #[serde(default)]
    csrf: String,
    /// Yuan, as typed.
    #[serde(default)]
    amount: String,
}

/// Agreeing or paying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    Agree,
    Pay,
}

/// Why `claim` may not be settled so with `fen`, in `lang`.
fn settle_refusal(claim: &Claim, settle: Settle, fen: i64, lang: Lang) -> Option<String> {
    if claim.paid_fen.is_some() {
        let (zh, en) = match settle {
            Settle::Agree => (
                "该索赔已支付，确认金额不能再改。",
                "This claim is paid; its agreed amount can no longer change.",
            ),
            Settle::Pay => ("该索赔已登记支付。", "This claim is already paid."),
        };
        return Some(lang.pick(zh, en).to_owned());
    }
    if settle == Settle::Agree {
        return None;
    }
    match claim.agreed_fen {
        None => Some(
            lang.pick(
                "请先确认索赔金额，再登记支付。",
                "Agree the amount before marking the claim paid.",
            )
            .to_owned(),
        ),
        Some(agreed) if fen > agreed => Some(match lang {
            Lang::Zh => format!("支付金额不能超过确认金额 {} 元。", yuan(agreed)),
            Lang::En => format!(
                "The amount paid may not be above the {} yuan agreed.",
                yuan(agreed)
            ),
        }),
        Some(_) => None,
    }
}

/// `POST /cases/{unit}/{finding}/claims/{claim}/agree`: the amount agreed with the owner.
pub async fn agree(
    state: State<AppState>,
    staff: Staff,
    path: Path<(String, String, String)>,
    form: Result<Form<AmountForm>, FormRejection>,
) -> Response {
    settle(state, staff, path, form, Settle::Agree).await
}

/// `POST /cases/{unit}/{finding}/claims/{claim}/pay`: the claim was paid.
pub async fn pay(
    state: State<AppState>,
    staff: Staff,
    path: Path<(String, String, String)>,
    form: Result<Form<AmountForm>, FormRejection>,
) -> Response {
    settle(state, staff, path, form, Settle::Pay).await
}

fn claim_not_found(staff: &Staff) -> Response {
    let m = staff
        .lang
        .pick("本案件没有这笔索赔。", "This case has no such claim.");
    message_page(StatusCode::NOT_FOUND, staff.lang, m, Some(staff.top_bar()))
}

async fn settle(
    State(state): State<AppState>,
    staff: Staff,
    Path((unit, finding, claim)): Path<(String, String, String)>,
    form: Result<Form<AmountForm>, FormRejection>,
    settle: Settle,
) -> Response {
    let Ok(Form(form)) = form else {
        return unreadable_form(&staff);
    };
    let (unit, finding) = match checked_post(&staff, &form.csrf, &unit, &finding) {
        Ok(ids) => ids,
        Err(page) => return page,
    };
    let lang = staff.lang;
    let Ok(claim) = ClaimId::new(claim) else {
        return claim_not_found(&staff);
    };
    let (_, role) = match context(&state, &staff, &unit).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let probe = match settle {
        Settle::Agree => EventKind::ClaimAgreed {
            claim: claim.clone(),
            agreed_fen: 0,
        },
        Settle::Pay => EventKind::ClaimPaid {
            claim: claim.clone(),
            paid_fen: 0,
        },
    };
    if let Some(refused) = role_refusal(&staff, role, &probe) {
        return refused;
    }
    // Nothing may be agreed (an owner who waives the claim), but a payment pays something.
    let at_least = match settle {
        Settle::Agree => 0,
        Settle::Pay => 1,
    };
    let fen = match amount(&form.amount, at_least, lang) {
        Ok(fen) => fen,
        Err(m) => return bad_request(&staff, &m),
    };
    let loaded = match load(&state, &unit, &finding).await {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&staff),
        Err(e) => return internal(e),
    };
    // Claims are never removed, so one found now is still there under the lock.
    let Some(current) = loaded.state.claims.iter().find(|c| c.id == claim) else {
        return claim_not_found(&staff);
    };
    if let Some(m) = settle_refusal(current, settle, fen, lang) {
        return bad_request(&staff, &m);
    }
    let kind = match settle {
        Settle::Agree => EventKind::ClaimAgreed {
            claim: claim.clone(),
            agreed_fen: fen,
        },
        Settle::Pay => EventKind::ClaimPaid {
            claim: claim.clone(),
            paid_fen: fen,
        },
    };
    append_checked(
        &state,
        &staff,
        &unit,
        &finding,
        role,
        kind,
        move |st| match st.claims.iter().find(|c| c.id == claim) {
            Some(c) => settle_refusal(c, settle, fen, lang).map_or(Ok(()), Err),
            None => Err(lang
                .pick("本案件没有这笔索赔。", "This case has no such claim.")
                .to_owned()),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_claim_is_agreed_then_paid_once_and_never_above_the_agreed_amount() {
        let mut claim = Claim {
            id: ClaimId::new("c1").unwrap(),
            damage: "地板泡水".into(),
            claimed_fen: 300_000,
            agreed_fen: None,
            paid_fen: None,
        };
        assert!(settle_refusal(&claim, Settle::Pay, 100, Lang::En).is_some());
        assert!(settle_refusal(&claim, Settle::Agree, 250_000, Lang::En).is_none());
        claim.agreed_fen = Some(250_000);
        assert!(settle_refusal(&claim, Settle::Agree, 260_000, Lang::En).is_none());
        assert!(settle_refusal(&claim, Settle::Pay, 250_001, Lang::En).is_some());
        assert!(settle_refusal(&claim, Settle::Pay, 250_000, Lang::En).is_none());
        claim.paid_fen = Some(250_000);
        assert!(settle_refusal(&claim, Settle::Pay, 1, Lang::En).is_some());
        assert!(settle_refusal(&claim, Settle::Agree, 1, Lang::En).is_some());
    }

    #[test]
    fn amounts_are_bounded_below() {
        assert_eq!(amount("0", 0, Lang::En), Ok(0));
        assert!(amount("0", 1, Lang::En).is_err());
        assert!(amount("abc", 0, Lang::Zh).unwrap_err().contains("金额"));
    }
}
