//! The frame around every screen once the phone is enrolled: a title bar with a way back,
//! and the tabs at the bottom within a thumb's reach, the sync tab counting what is unsynced.

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};

/// The bottom tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Projects, buildings, units (inspectors) …
    Units,
    /// … or the company's repairs (contractors).
    Tasks,
    /// Sync.
    Sync,
    /// Settings.
    Settings,
}

impl Tab {
    fn id(self) -> &'static str {
        match self {
            Tab::Units => "tab-units",
            Tab::Tasks => "tab-tasks",
            Tab::Sync => "tab-sync",
            Tab::Settings => "tab-settings",
        }
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Units => Msg::TabUnits,
            Tab::Tasks => Msg::TabTasks,
            Tab::Sync => Msg::TabSync,
            Tab::Settings => Msg::TabSettings,
        }
        .text(lang)
    }
}

/// The frame: title, optional back button, the screen, the tabs.
#[component]
pub fn Shell(
    lang: Lang,
    title: String,
    /// The first tab: units for inspectors, tasks for contractors.
    home: Tab,
    current: Tab,
    /// Records and photos not on the server yet.
    unsynced: usize,
    on_tab: EventHandler<Tab>,
    on_back: Option<EventHandler<()>>,
    children: Element,
) -> Element {
    rsx! {
        div { class: "screen",
            header { class: "top",
                if let Some(back) = on_back {
                    button { id: "back", onclick: move |_| back.call(()), "‹ {Msg::Back.text(lang)}" }
                }
                h1 { "{title}" }
            }
            main { class: "body", {children} }
            nav { class: "tabs",
                for tab in [home, Tab::Sync, Tab::Settings] {
                    button {
                        id: tab.id(),
                        class: if tab == current { "current" } else { "" },
                        onclick: move |_| on_tab.call(tab),
                        "{tab.label(lang)} "
                        if tab == Tab::Sync && unsynced > 0 {
                            span { class: "badge", "{unsynced}" }
                        }
                    }
                }
            }
        }
    }
}
