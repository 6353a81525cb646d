//! Settings: language, storage used and free, the device and account, and signing out —
//! which, when work is not on the server yet, first says what would be lost and asks.

use dioxus::prelude::*;

use crate::account::UnsyncedWork;
use crate::ui::i18n::{Lang, Msg};

/// Who and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// The person's name.
    pub name: String,
    /// Their roles, by project, in words.
    pub roles: Vec<String>,
    /// The device's id.
    pub device: String,
    /// The server.
    pub server: String,
}

/// The phone's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageView {
    /// Megabytes this app's photos and records take.
    pub used_mb: u64,
    /// Megabytes free on the phone.
    pub free_mb: u64,
    /// About how many more photos fit.
    pub photos_left: u64,
    /// Low (warn) or full (no more photos).
    pub warning: Option<Msg>,
}

/// The settings screen.
#[component]
pub fn SettingsScreen(
    lang: Lang,
    account: Option<AccountView>,
    storage: Option<StorageView>,
    /// Set while the sign-out question is open.
    confirm: Option<UnsyncedWork>,
    /// How long the app took to show its first screen, in milliseconds.
    started_ms: Option<u64>,
    on_lang: EventHandler<Lang>,
    on_sign_out: EventHandler<()>,
    on_discard: EventHandler<()>,
    on_sync_first: EventHandler<()>,
) -> Element {
    rsx! {
        div { class: "card",
            h2 { "{Msg::Language.text(lang)}" }
            div { class: "chips",
                for (choice, name) in [(Lang::Zh, "中文"), (Lang::En, "English")] {
                    button {
                        id: "lang-{choice.code()}",
                        class: if choice == lang { "on" } else { "" },
                        onclick: move |_| on_lang.call(choice),
                        "{name}"
                    }
                }
            }
        }
        if let Some(storage) = storage {
            div { class: "card",
                h2 { "{Msg::Storage.text(lang)}" }
                p { id: "storage",
                    "{storage.used_mb} MB · {Msg::StorageFree.text(lang)} {storage.free_mb} MB · "
                    "{Msg::PhotosLeft.text(lang)} {storage.photos_left} {Msg::PhotosUnit.text(lang)}"
                }
                if let Some(warning) = storage.warning {
                    p { class: "error", "{warning.text(lang)}" }
                }
            }
        }
        if let Some(account) = account {
            div { class: "card",
                h2 { "{Msg::Account.text(lang)}" }
                dl {
                    dt { "{Msg::Person.text(lang)}" }
                    dd { "{account.name}" }
                    dt { "{Msg::Role.text(lang)}" }
                    dd { "{account.roles.join(\"、\")}" }
                    dt { "{Msg::Device.text(lang)}" }
                    dd { "{account.device}" }
                    dt { "{Msg::Server.text(lang)}" }
                    dd { "{account.server}" }
                }
                if let Some(ms) = started_ms {
                    p { class: "muted", "{Msg::StartedIn.text(lang)} {ms} ms" }
                }
                if let Some(work) = confirm {
                    div { class: "error", role: "alert", id: "sign-out-question",
                        p { "{Msg::UnsyncedWarning.text(lang)}" }
                        ul {
                            li { "{Msg::UnsyncedRecords.text(lang)}: {work.records}" }
                            li { "{Msg::UnsyncedPhotos.text(lang)}: {work.photos}" }
                        }
                        div { class: "row",
                            button { id: "sync-first", class: "grow", onclick: move |_| on_sync_first.call(()), "{Msg::SyncFirst.text(lang)}" }
                            button { id: "discard", class: "danger grow", onclick: move |_| on_discard.call(()), "{Msg::DiscardAndSignOut.text(lang)}" }
                        }
                    }
                } else {
                    p { class: "muted", "{Msg::SignOutHint.text(lang)}" }
                    button { id: "sign-out", class: "danger", style: "width:100%", onclick: move |_| on_sign_out.call(()), "{Msg::SignOut.text(lang)}" }
                }
            }
        }
    }
}
