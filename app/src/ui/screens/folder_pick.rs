//! Picking a picture from the camera-roll folder: on a desktop build (and in the end-to-end
//! test) the camera's pictures are files in a folder, listed newest first. The finding editor
//! takes evidence photos from it; the enroll screen a picture of the office's QR code.

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};

/// A picture in the camera-roll folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryEntry {
    /// Its file.
    pub path: String,
    /// Its name.
    pub name: String,
}

/// The folder's pictures, one button each (ids `{id_prefix}-0`, `-1`, …, newest first), or a
/// line saying there are none.
#[component]
pub fn FolderPick(
    lang: Lang,
    entries: Vec<GalleryEntry>,
    id_prefix: String,
    on_pick: EventHandler<String>,
) -> Element {
    rsx! {
        div { class: "list",
            if entries.is_empty() {
                p { class: "muted", "{Msg::NoPhotosInFolder.text(lang)}" }
            }
            for (n, entry) in entries.into_iter().enumerate() {
                button {
                    id: "{id_prefix}-{n}",
                    class: "entry",
                    onclick: {
                        let path = entry.path.clone();
                        move |_| on_pick.call(path.clone())
                    },
                    "{entry.name}"
                }
            }
        }
    }
}
