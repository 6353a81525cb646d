//! A unit: its rooms in walking order; open a room and mark each item pass, defect or not
//! applicable with one tap. "Defect" opens the finding editor with the item filled in.

use dioxus::prelude::*;

use plumbline_shared::doc::round::Outcome;
use plumbline_shared::ids::{FindingId, ItemId, RoomId};

use crate::ui::i18n::{Lang, Msg};
use crate::ui::icons::CheckIcon;
use crate::ui::model::checklist::{ItemRow, RoomSummary};

/// The checklist of a unit.
#[component]
pub fn UnitScreen(
    lang: Lang,
    rooms: Vec<RoomSummary>,
    open_room: Option<RoomId>,
    items: Vec<ItemRow>,
    /// Findings recorded in the unit, and how many are open.
    findings: (usize, usize),
    on_room: EventHandler<RoomId>,
    on_mark: EventHandler<(ItemId, Outcome)>,
    on_view_finding: EventHandler<FindingId>,
    on_findings: EventHandler<()>,
    /// Opens the owner's joint inspection (业主陪验).
    on_walk: EventHandler<()>,
) -> Element {
    let (all, open) = findings;
    rsx! {
        button {
            id: "joint-walk",
            class: "entry card row",
            style: "width:100%",
            onclick: move |_| on_walk.call(()),
            strong { class: "grow", "✍ {Msg::JointWalk.text(lang)}" }
        }
        button {
            id: "findings",
            class: "entry card row",
            style: "width:100%",
            onclick: move |_| on_findings.call(()),
            strong { class: "grow", "{Msg::Findings.text(lang)} {all}" }
            if open > 0 {
                span { class: "status overdue", "{Msg::OpenDefects.text(lang)} {open}" }
            }
        }
        h2 { style: "font-size:16px", "{Msg::Rooms.text(lang)}" }
        div { class: "list",
            for room in rooms {
                button {
                    class: "entry",
                    id: "room-{room.id}",
                    onclick: {
                        let id = room.id.clone();
                        move |_| on_room.call(id.clone())
                    },
                    div { class: "row",
                        strong { class: "grow", "{room.name}" }
                        span { class: "muted", "{room.marked}/{room.items} {Msg::Checked.text(lang)}" }
                        if room.defects > 0 {
                            span { class: "badge", "{room.defects}" }
                        }
                    }
                }
                if open_room.as_ref() == Some(&room.id) {
                    for item in items.clone() {
                        ItemCard { lang, item, on_mark, on_view_finding }
                    }
                }
            }
        }
    }
}

/// One check item with its three marks.
#[component]
fn ItemCard(
    lang: Lang,
    item: ItemRow,
    on_mark: EventHandler<(ItemId, Outcome)>,
    on_view_finding: EventHandler<FindingId>,
) -> Element {
    let on = |o: Outcome| if item.mark == Some(o) { " on" } else { "" };
    let mark = move |id: ItemId, o: Outcome| move |_| on_mark.call((id.clone(), o));
    rsx! {
        div { class: "item", id: "item-{item.id}",
            div { "{item.name}" }
            if !item.reference.is_empty() {
                div { class: "ref", "{item.reference}" }
            }
            div { class: "marks",
                button {
                    id: "pass-{item.id}",
                    class: "pass{on(Outcome::Pass)}",
                    onclick: mark(item.id.clone(), Outcome::Pass),
                    CheckIcon {}
                    " {Msg::Pass.text(lang)}"
                }
                if let Some(finding) = item.finding.clone() {
                    button {
                        id: "defect-{item.id}",
                        class: "defect on",
                        onclick: move |_| on_view_finding.call(finding.clone()),
                        "✗ {Msg::ViewFinding.text(lang)}"
                    }
                } else {
                    button {
                        id: "defect-{item.id}",
                        class: "defect{on(Outcome::Defect)}",
                        onclick: mark(item.id.clone(), Outcome::Defect),
                        "✗ {Msg::Defect.text(lang)}"
                    }
                }
                button {
                    id: "na-{item.id}",
                    class: "na{on(Outcome::NotApplicable)}",
                    onclick: mark(item.id.clone(), Outcome::NotApplicable),
                    "{Msg::NotApplicable.text(lang)}"
                }
            }
        }
    }
}
