//! Who was told what about a case: its reminders and escalations as rows of the case page's
//! timeline ("12:15 提醒 周刚（施工单位）", "13:15 升级至 赵敏（经理）").

use dioxus::prelude::*;
use std::collections::BTreeMap;

use plumbline_shared::ids::{FindingId, UserId};
use plumbline_shared::time::Timestamp;
use plumbline_shared::workflow::reminder::ReminderKind;

use super::i18n::{Lang, Msg};
use super::when::beijing;
use crate::state::AppState;
use crate::store::{Membership, StoreResult};

/// One reminder or escalation of a case, with everyone it went to.
#[derive(Debug, Clone, PartialEq)]
pub struct Told {
    /// The rule's instant.
    pub at: Timestamp,
    /// When the server recorded it.
    pub recorded: Timestamp,
    /// What about.
    pub kind: ReminderKind,
    /// "周刚（施工单位）", one per recipient.
    pub to: Vec<String>,
}

/// The case's reminders and escalations, oldest first, recipients by name and role in the
/// page's language.
pub async fn told(state: &AppState, finding: &FindingId, lang: Lang) -> StoreResult<Vec<Told>> {
    let rows = state.store.case_notifications(finding).await?;
    let mut out: Vec<Told> = Vec::new();
    // A person is told many times over a case's life: read each once.
    let mut people: BTreeMap<UserId, Option<(String, Vec<Membership>)>> = BTreeMap::new();
    for n in rows {
        if !people.contains_key(&n.user) {
            let person = state.store.user(&n.user).await?;
            people.insert(n.user.clone(), person);
        }
        let who = match &people[&n.user] {
            Some((name, memberships)) => {
                let role = memberships
                    .iter()
                    .find(|m| m.project == n.project)
                    .map(|m| m.role);
                match (role, lang) {
                    (Some(role), Lang::Zh) => format!("{name}（{}）", role.label_zh()),
                    (Some(role), Lang::En) => format!("{name} ({})", role.label_en()),
                    (None, _) => name.clone(),
                }
            }
            None => n.user.to_string(),
        };
        match out.last_mut() {
            Some(last) if last.at == n.due_at && last.kind == n.kind => last.to.push(who),
            _ => out.push(Told {
                at: n.due_at,
                recorded: n.created_at,
                kind: n.kind,
                to: vec![who],
            }),
        }
    }
    Ok(out)
}

/// One reminder as a row of the timeline table (device time, server time, who, what).
#[component]
pub fn ToldRow(lang: Lang, told: Told) -> Element {
    let word = if told.kind.is_escalation() {
        Msg::EscalateTo.text(lang)
    } else {
        Msg::Remind.text(lang)
    };
    let to = told.to.join("、");
    rsx! {
        tr { class: "told", "data-kind": told.kind.as_str(),
            td { {beijing(told.at)} }
            td { {beijing(told.recorded)} }
            td { "{word} {to}" }
            td { {lang.pick(told.kind.label_zh(), told.kind.label_en())} }
            td {}
        }
    }
}
