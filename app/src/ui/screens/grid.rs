//! A building as floors × units, top floor first, each unit coloured and labelled by its
//! state, with the counts as a legend.

use dioxus::prelude::*;

use plumbline_shared::ids::UnitId;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::grid::{BuildingGrid, UnitProgress};

/// The grid.
#[component]
pub fn GridScreen(lang: Lang, grid: BuildingGrid, on_open: EventHandler<UnitId>) -> Element {
    rsx! {
        div { class: "legend",
            for state in UnitProgress::ALL {
                span { class: state.class(),
                    "{state.label(lang)} {grid.counts.get(&state).copied().unwrap_or(0)}"
                }
            }
        }
        for row in grid.floors {
            div { class: "floor",
                span { class: "no", "{row.floor}{Msg::Floor.text(lang)}" }
                for tile in row.units {
                    button {
                        id: "unit-{tile.id}",
                        class: "tile {tile.progress.class()}",
                        title: "{tile.progress.label(lang)}",
                        disabled: !tile.on_device,
                        onclick: {
                            let id = tile.id.clone();
                            move |_| on_open.call(id.clone())
                        },
                        "{tile.label}"
                        small {
                            if !tile.on_device {
                                "{Msg::NotOnDevice.text(lang)}"
                            } else if tile.open > 0 {
                                "{tile.progress.label(lang)} {tile.open}"
                            } else {
                                "{tile.progress.label(lang)}"
                            }
                        }
                    }
                }
            }
        }
    }
}
