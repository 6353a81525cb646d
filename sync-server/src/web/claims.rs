//! Owner claims (索赔) on a case: recording what was damaged and the amount claimed, agreeing
//! an amount, and marking it paid.
//!
//! Like everything else on a case, a claim is events on the finding's timeline —
//! `ClaimRecorded` (damage, amount claimed), `ClaimAgreed` (amount agreed), `ClaimPaid`
//! (amount paid) — and the workflow derives where it stands ([`Claim`]). Who may record a claim
//! and who may agree and pay it is `EventKind::allows` (the manager decides on money), the rule
//! the sync applies to devices too.
//!
//! What the rules allow is the workflow's precondition (`plumbline_shared::workflow::may`),
//! asked by the page to offer the actions and again under the document's lock when one is
//! posted: the amount agreed is at most the amount claimed (an owner who finds more damage
//! records another claim) and may change until payment begins; payments come after agreement
//! and add up, never above what remains, so a claim paid in part shows its remainder and stays
//! open until it is settled.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::event::EventKind;
use plumbline_shared::ids::{ClaimId, UserId};
use plumbline_shared::role::Role;
use plumbline_shared::workflow::may::{Person, may};
use plumbline_shared::workflow::{CaseState, Claim};
use serde::Deserialize;
use std::collections::BTreeMap;

use super::case_actions::MAX_TEXT_CHARS;
use super::case_kit::{CaseForm, NewEvent, WebError};
use super::fines::Signature;
use super::i18n::{Lang, Msg};
use super::posted::posted_with_csrf_field;
use crate::state::AppState;
use plumbline_shared::money::{parse_yuan, yuan};

/// A claim as the case page shows it, with who recorded it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimView {
    /// The claim as the workflow derives it.
    pub claim: Claim,
    /// Who recorded it.
    pub recorded: Option<Signature>,
    /// Whether the person looking may agree an amount now.
    pub may_agree: bool,
    /// Whether the person looking may record a payment now.
    pub may_pay: bool,
}

/// Every claim of the case, in recording order.
pub(super) fn claim_views(
    finding: &Finding,
    state: &CaseState,
    names: &BTreeMap<UserId, String>,
    person: Person<'_>,
) -> Vec<ClaimView> {
    state
        .claims
        .iter()
        .map(|claim| {
            let agree = EventKind::ClaimAgreed {
                claim: claim.id.clone(),
                agreed_fen: 0,
            };
            let pay = EventKind::ClaimPaid {
                claim: claim.id.clone(),
                paid_fen: 0,
            };
            ClaimView {
            may_agree: may(&agree, person, state).is_ok(),
            may_pay: may(&pay, person, state).is_ok(),
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

fn status_label(claim: &Claim, lang: Lang) -> String {
    if claim.settled() {
        return Msg::ClaimPaid.text(lang).to_owned();
    }
    match (claim.agreed_fen, claim.paid_fen) {
        (Some(_), Some(_)) => {
            let remaining = yuan(claim.remaining_fen().unwrap_or(0));
            match lang {
                Lang::Zh => format!("部分支付，尚余 {remaining} 元"),
                Lang::En => format!("Paid in part, {remaining} yuan remain"),
            }
        }
        (Some(_), None) => Msg::ClaimAwaitingPayment.text(lang).to_owned(),
        (None, _) => Msg::ClaimAwaitingAgreement.text(lang).to_owned(),
    }
}

/// A placeholder claim id for role checks, which depend on the kind of event only.
fn probe_id() -> ClaimId {
    ClaimId::new("probe").expect("`probe` is a valid id")
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
    let may_record = EventKind::ClaimRecorded {
        claim: probe_id(),
        damage: String::new(),
        claimed_fen: 0,
    }
    .allows(p.role);
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
                                    if v.may_agree {
                                        form { method: "post", action: "{p.base}/claims/{v.claim.id}/agree",
                                            input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                            input { name: "amount", required: true, inputmode: "decimal", size: 10, placeholder: Msg::AgreedYuan.text(lang) }
                                            " "
                                            button { r#type: "submit", {Msg::AgreeClaim.text(lang)} }
                                        }
                                    }
                                    if v.may_pay {
                                        if let Some(remaining) = v.claim.remaining_fen() {
                                            form { method: "post", action: "{p.base}/claims/{v.claim.id}/pay",
                                                input { r#type: "hidden", name: "csrf", value: "{p.csrf}" }
                                                input { name: "amount", required: true, inputmode: "decimal", size: 10, value: yuan(remaining).replace(',', "") }
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

/// The form that agrees or pays an amount.
#[derive(Debug, Deserialize)]
pub struct AmountForm {
    #[serde(default)]
    csrf: String,
    /// Yuan, as typed.
    #[serde(default)]
    amount: String,
}

posted_with_csrf_field!(RecordForm, AmountForm);

/// `POST /cases/{unit}/{finding}/claims`: records an owner's claim.
pub async fn record(
    State(state): State<AppState>,
    action: CaseForm<RecordForm>,
) -> Result<Response, WebError> {
    let damage = action.form.damage.trim().to_owned();
    if damage.is_empty() {
        return Err(action.bad_pick("请填写损失内容。", "Write what was damaged."));
    }
    if damage.chars().count() > MAX_TEXT_CHARS {
        return Err(action.bad_pick(
            "损失内容最多 500 字。",
            "What was damaged may have at most 500 characters.",
        ));
    }
    let claimed_fen = amount(&action.form.amount, 1, action.lang()).map_err(|m| action.bad(&m))?;
    let kind = EventKind::ClaimRecorded {
        claim: ClaimId::random(),
        damage,
        claimed_fen,
    };
    action.append(&state, NewEvent::Plain(kind)).await
}

/// `POST /cases/{unit}/{finding}/claims/{claim}/agree`: the amount agreed with the owner (at
/// most the amount claimed; nothing, when the owner waives the claim).
pub async fn agree(
    State(state): State<AppState>,
    action: CaseForm<AmountForm>,
) -> Result<Response, WebError> {
    settle(&state, &action, 0, |claim, agreed_fen| {
        EventKind::ClaimAgreed { claim, agreed_fen }
    })
    .await
}

/// `POST /cases/{unit}/{finding}/claims/{claim}/pay`: a payment to the owner (at most what
/// remains of the agreed amount).
pub async fn pay(
    State(state): State<AppState>,
    action: CaseForm<AmountForm>,
) -> Result<Response, WebError> {
    settle(&state, &action, 1, |claim, paid_fen| EventKind::ClaimPaid {
        claim,
        paid_fen,
    })
    .await
}

/// An amount of at least `at_least` fen for the claim of the path, as the event `kind` makes.
async fn settle(
    state: &AppState,
    action: &CaseForm<AmountForm>,
    at_least: i64,
    kind: fn(ClaimId, i64) -> EventKind,
) -> Result<Response, WebError> {
    let claim: ClaimId = action.param("claim").ok_or_else(|| {
        action.page(
            StatusCode::NOT_FOUND,
            action
                .lang()
                .pick("本案件没有这笔索赔。", "This case has no such claim."),
        )
    })?;
    let fen = amount(&action.form.amount, at_least, action.lang()).map_err(|m| action.bad(&m))?;
    action
        .append(state, NewEvent::Plain(kind(claim, fen)))
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn amounts_are_bounded_below() {
        assert_eq!(amount("0", 0, Lang::En), Ok(0));
        assert!(amount("0", 1, Lang::En).is_err());
        assert!(amount("abc", 0, Lang::Zh).unwrap_err().contains("金额"));
    }
}
