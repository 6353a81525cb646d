//! `GET /admin/templates`: the residential checklist template, read-only: its categories, its
//! severities and, room by room, every check item with its reference (the standard or rule it
//! checks against), category and default severity.
//!
//! The template ships compiled in (`assets/`), the same one the devices use; changing it is a
//! release, not an office action, so there is nothing to edit here.

use axum::http::StatusCode;
use axum::response::Response;
use dioxus::prelude::*;
use plumbline_shared::template::{ChecklistTemplate, residential};

use super::Admin;
use crate::web::i18n::{Lang, Msg};

#[derive(Props, Clone, PartialEq)]
struct TemplateProps {
    lang: Lang,
    template: ChecklistTemplate,
}

#[allow(non_snake_case)] // a component
fn TemplatePage(p: TemplateProps) -> Element {
    let lang = p.lang;
    let t = &p.template;
    let category = |id: &plumbline_shared::ids::CategoryId| {
        t.category(id)
            .map_or_else(|| id.to_string(), |c| lang.pick(&c.zh, &c.en).to_owned())
    };
    rsx! {
        h1 { {Msg::ChecklistTemplate.text(lang)} " · " {lang.pick(&t.name_zh, &t.name_en)} }
        p { {Msg::TemplateVersion.text(lang)} ": " "{t.version}" " · " {Msg::Item.text(lang)} ": " "{t.item_count()}" }
        h2 { {Msg::Severity.text(lang)} }
        table { id: "severities",
            thead { tr {
                th { {Msg::Severity.text(lang)} }
                th { {Msg::Meaning.text(lang)} }
                th { {Msg::RectifyDays.text(lang)} }
            } }
            tbody {
                for s in t.severities.iter() {
                    tr {
                        td { {lang.pick(&s.zh, &s.en)} }
                        td { "{s.meaning}" }
                        td { "{s.proposed_rectify_days}" }
                    }
                }
            }
        }
        h2 { {Msg::Category.text(lang)} }
        ul { id: "categories",
            for c in t.categories.iter() {
                li { {lang.pick(&c.zh, &c.en)} " (" code { "{c.id}" } ")" }
            }
        }
        for room in t.rooms.iter() {
            section { id: "room-{room.id}",
                h2 { {lang.pick(&room.zh, &room.en)} " (" code { "{room.id}" } ")" }
                table { class: "items",
                    thead { tr {
                        th { {Msg::Item.text(lang)} }
                        th { {Msg::Reference.text(lang)} }
                        th { {Msg::Category.text(lang)} }
                        th { {Msg::DefaultSeverity.text(lang)} }
                        th { {Msg::AppliesTo.text(lang)} }
                    } }
                    tbody {
                        for item in room.items.iter() {
                            tr { id: "item-{item.id}",
                                td { {lang.pick(&item.zh, &item.en)} }
                                td { "{item.reference}" }
                                td { {category(&item.category)} }
                                td { {lang.pick(item.default_severity.label_zh(), item.default_severity.label_en())} }
                                td {
                                    {item.applies_to.iter().map(|f| lang.pick(f.label_zh(), f.label_en())).collect::<Vec<_>>().join("、")}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin/templates`.
pub async fn show(admin: Admin) -> Response {
    let lang = admin.lang();
    let body = rsx! {
        TemplatePage { lang, template: residential() }
    };
    admin.page(StatusCode::OK, Msg::ChecklistTemplate.text(lang), body)
}
