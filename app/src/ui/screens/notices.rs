//! The person's latest reminders and escalations, at the top of their home screen; kept on
//! the phone, so they show with no signal.

use dioxus::prelude::*;
use plumbline_shared::ids::UnitId;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::notices::NoticeLine;

/// The card; nothing when there is nothing to say. A line opens its unit when `openable` (an
/// inspector's phone holds the unit; a foreman's has the task list instead).
#[component]
pub fn NoticesCard(
    lang: Lang,
    notices: Vec<NoticeLine>,
    openable: bool,
    on_open: EventHandler<UnitId>,
) -> Element {
    if notices.is_empty() {
        return rsx! {};
    }
    rsx! {
        section { class: "card", id: "notices",
            h2 { "{Msg::Notifications.text(lang)}" }
            div { class: "list",
                for line in notices {
                    button {
                        class: if line.escalation { "entry escalation" } else { "entry" },
                        disabled: !openable,
                        onclick: {
                            let unit = line.unit.clone();
                            move |_| on_open.call(unit.clone())
                        },
                        div { class: "row",
                            strong { class: "grow", "{line.what}" }
                            if line.unread {
                                span { class: "badge", "{Msg::Unread.text(lang)}" }
                            }
                        }
                        div { class: "muted", "{line.unit} · {line.when}" }
                    }
                }
            }
        }
    }
}
