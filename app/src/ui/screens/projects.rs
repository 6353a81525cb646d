//! Home for an inspector: the projects on the phone and their buildings, each with how many
//! units are in each state.

use dioxus::prelude::*;

use plumbline_shared::ids::{BuildingId, ProjectId};

use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::grid::{ProjectOverview, UnitProgress};

/// The project list.
#[component]
pub fn ProjectsScreen(
    lang: Lang,
    projects: Vec<ProjectOverview>,
    on_open: EventHandler<(ProjectId, BuildingId)>,
) -> Element {
    rsx! {
        if projects.is_empty() {
            p { class: "notice", "{Msg::NoProjects.text(lang)}" }
        }
        for project in projects {
            section { class: "card",
                h2 { "{project.name}" }
                if !project.assignments.is_empty() {
                    div { class: "notice", id: "assignments",
                        strong { "{Msg::MyAssignments.text(lang)}" }
                        for line in project.assignments.clone() {
                            button {
                                class: "entry",
                                onclick: {
                                    let key = (project.id.clone(), line.building.clone());
                                    move |_| on_open.call(key.clone())
                                },
                                "{line.place} · {line.dates}"
                                if line.today {
                                    " · {Msg::Today.text(lang)}"
                                }
                            }
                        }
                    }
                }
                div { class: "list",
                    for building in project.buildings {
                        button {
                            class: "entry",
                            id: "building-{building.building}",
                            onclick: {
                                let key = (project.id.clone(), building.building.clone());
                                move |_| on_open.call(key.clone())
                            },
                            div { class: "row",
                                strong { class: "grow", "{building.name}" }
                                span { class: "muted", "{building.units()} {Msg::UnitsCount.text(lang)}" }
                            }
                            div { class: "legend",
                                for state in UnitProgress::ALL {
                                    if let Some(n) = building.counts.get(&state) {
                                        span { class: state.class(), "{state.label(lang)} {n}" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
