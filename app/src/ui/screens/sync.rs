//! Sync: when the phone last reached the server, what is only on the phone, a progress bar
//! while a sync runs, and each failure in words.

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::model::sync::SyncView;

/// The sync screen.
#[component]
pub fn SyncScreen(
    lang: Lang,
    view: SyncView,
    on_sync: EventHandler<()>,
    on_export: EventHandler<i64>,
    exported: Option<String>,
) -> Element {
    rsx! {
        div { class: "card",
            dl {
                dt { "{Msg::LastSync.text(lang)}" }
                dd { id: "last-sync", "{view.last_sync}" }
                dt { "{Msg::UnsyncedRecords.text(lang)}" }
                dd { id: "unsynced-records", "{view.records}" }
                dt { "{Msg::UnsyncedPhotos.text(lang)}" }
                dd { id: "unsynced-photos", "{view.photos.len()}" }
            }
            if view.signed_out {
                p { class: "error", role: "alert", "{Msg::SignedOutByServer.text(lang)}" }
            }
            if let Some(percent) = view.running {
                p { "{Msg::Syncing.text(lang)} {percent}%" }
                div { class: "bar", role: "progressbar", aria_valuenow: "{percent}",
                    div { style: "width:{percent}%" }
                }
            } else if view.all_synced() {
                p { class: "ok", id: "all-synced", "{Msg::AllSynced.text(lang)}" }
            }
            button {
                id: "sync-now",
                class: "primary",
                disabled: view.running.is_some() || view.signed_out,
                onclick: move |_| on_sync.call(()),
                "{Msg::SyncNow.text(lang)}"
            }
        }
        if !view.failures.is_empty() {
            div { class: "card",
                h2 { "{Msg::Failures.text(lang)}" }
                for failure in view.failures {
                    p { class: "error", "{failure}" }
                }
            }
        }
        if !view.set_aside.is_empty() {
            div { class: "card", id: "set-aside",
                h2 { "{Msg::SetAsideTitle.text(lang)}" }
                p { class: "muted", "{Msg::SetAsideHint.text(lang)}" }
                for batch in view.set_aside {
                    div { class: "set-aside-batch",
                        div { class: "row",
                            span { class: "grow", "{batch.doc} · {batch.when}" }
                            button {
                                class: "export",
                                onclick: move |_| on_export.call(batch.id),
                                "{Msg::Export.text(lang)}"
                            }
                        }
                        p { class: "error", "{Msg::RefusedByServer.text(lang)}: {batch.reason}" }
                        ul {
                            for line in batch.work {
                                li { "{line}" }
                            }
                        }
                    }
                }
                if let Some(path) = exported {
                    p { class: "ok", id: "exported", "{Msg::ExportedTo.text(lang)} {path}" }
                }
            }
        }
        if !view.photos.is_empty() {
            div { class: "card",
                h2 { "{Msg::UnsyncedPhotos.text(lang)}" }
                for photo in view.photos {
                    div { class: "row",
                        span { class: "grow", "{photo.name}" }
                        span { class: "muted", "{photo.state} {photo.percent}%" }
                    }
                    if let Some(error) = photo.error {
                        p { class: "error", "{error}" }
                    }
                }
            }
        }
    }
}
