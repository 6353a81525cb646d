//! Enroll: the first screen on a new phone. The server address and the one-time code from the
//! office, typed, pasted as a link, or read from the office's QR code with the camera (or from
//! a picture of it); the language can be switched before anything else.
//!
//! Text fields here and in the other forms take their starting text (`initial_value`) and then
//! report what is typed; they are not re-written from the state on every keystroke, which on a
//! slow phone would put back an older value over letters typed since.

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::icons::{CameraIcon, GalleryIcon};
use crate::ui::screens::folder_pick::{FolderPick, GalleryEntry};

/// The enroll form.
#[component]
pub fn EnrollScreen(
    lang: Lang,
    server: String,
    code: String,
    busy: bool,
    /// Both a server and a code are there (typed, or from a pasted enrollment link).
    ready: bool,
    error: Option<String>,
    on_server: EventHandler<String>,
    on_code: EventHandler<String>,
    on_submit: EventHandler<()>,
    /// The camera-roll folder's pictures, while the person picks the QR code's picture there.
    gallery: Option<Vec<GalleryEntry>>,
    /// A picture of the enrollment QR code was taken or picked.
    on_scan: EventHandler<FormEvent>,
    /// The folder's pictures are asked for.
    on_open_gallery: EventHandler<()>,
    /// A picture in the folder was picked (its path).
    on_gallery_pick: EventHandler<String>,
    on_lang: EventHandler<Lang>,
) -> Element {
    let other = match lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    rsx! {
        div { class: "screen",
            header { class: "top",
                h1 { "{Msg::AppName.text(lang)}" }
                button { id: "lang", onclick: move |_| on_lang.call(other), "{Msg::OtherLanguage.text(lang)}" }
            }
            main { class: "body",
                form {
                    class: "card",
                    onsubmit: move |evt| {
                        evt.prevent_default();
                        on_submit.call(());
                    },
                    h2 { "{Msg::EnrollTitle.text(lang)}" }
                    label { class: "pick", id: "scan-code",
                        CameraIcon {}
                        " {Msg::ScanEnrollCode.text(lang)}"
                        input {
                            r#type: "file",
                            accept: "image/*",
                            capture: "environment",
                            disabled: busy,
                            onchange: move |evt| on_scan.call(evt),
                        }
                    }
                    button {
                        id: "scan-from-folder",
                        class: "pick",
                        r#type: "button",
                        disabled: busy,
                        onclick: move |_| on_open_gallery.call(()),
                        GalleryIcon {}
                        " {Msg::FromFolder.text(lang)}"
                    }
                    if let Some(entries) = gallery {
                        FolderPick { lang, entries, id_prefix: "enroll-gallery", on_pick: on_gallery_pick }
                    }
                    p { class: "muted", "{Msg::EnrollHint.text(lang)}" }
                    label { r#for: "server", "{Msg::ServerAddress.text(lang)}" }
                    input {
                        id: "server",
                        r#type: "url",
                        initial_value: "{server}",
                        placeholder: "https://",
                        autocomplete: "off",
                        oninput: move |evt| on_server.call(evt.value()),
                    }
                    label { r#for: "code", "{Msg::EnrollCode.text(lang)}" }
                    p { class: "muted", "{Msg::EnrollLinkHint.text(lang)}" }
                    input {
                        id: "code",
                        r#type: "text",
                        initial_value: "{code}",
                        autocomplete: "off",
                        oninput: move |evt| on_code.call(evt.value()),
                    }
                    if let Some(error) = error {
                        p { class: "error", role: "alert", "{error}" }
                    }
                    button {
                        id: "enroll",
                        class: "primary",
                        r#type: "submit",
                        disabled: busy || !ready,
                        if busy { "{Msg::Enrolling.text(lang)}" } else { "{Msg::EnrollButton.text(lang)}" }
                    }
                }
            }
        }
    }
}
