//! The photos of a draft (a finding, a re-inspection, a repair report): their thumbnails with a
//! way to drop each before saving, a placeholder for each photo still being processed, and the
//! button that opens the camera or the gallery (on a phone `capture` asks for the camera).

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::icons::CameraIcon;
use crate::ui::screens::finding_editor::DraftPhoto;

/// Thumbnails and the take-or-pick button.
#[component]
pub fn PhotoPicker(
    lang: Lang,
    photos: Vec<DraftPhoto>,
    processing: usize,
    on_files: EventHandler<FormEvent>,
    on_remove: EventHandler<u32>,
) -> Element {
    rsx! {
        div { class: "thumbs",
            for photo in photos {
                div { class: "thumb", key: "{photo.key}",
                    img { src: "{photo.thumb}", alt: "" }
                    button {
                        id: "remove-photo-{photo.key}",
                        onclick: move |_| on_remove.call(photo.key),
                        "{Msg::RemovePhoto.text(lang)}"
                    }
                }
            }
            for _ in 0..processing {
                div { class: "thumb", "{Msg::ProcessingPhoto.text(lang)}" }
            }
        }
        label { class: "pick", id: "take-photo",
            CameraIcon {}
            " {Msg::TakePhoto.text(lang)}"
            input {
                r#type: "file",
                accept: "image/*",
                capture: "environment",
                multiple: true,
                onchange: move |evt| on_files.call(evt),
            }
        }
    }
}
