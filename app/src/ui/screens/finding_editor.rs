//! The finding editor: room and item come from the checklist, category and severity start
//! from the item's defaults; the inspector writes what is wrong and adds photos, which show
//! as thumbnails and can be removed before saving. When the project has a floor plan of the
//! unit's floor and it is on the phone, the inspector may tap it to pin where the defect is
//! (optional); the pin is saved on every photo of the finding. Nothing is written until "save".

use dioxus::prelude::*;

use plumbline_shared::ids::CategoryId;
use plumbline_shared::severity::Severity;

use crate::ui::i18n::{Lang, Msg};
use crate::ui::icons::GalleryIcon;
use crate::ui::screens::floor_plan::{FloorPlanPin, PlanView};
use crate::ui::screens::folder_pick::{FolderPick, GalleryEntry};
use crate::ui::screens::photo_picker::PhotoPicker;

/// A photo in the draft, processed and shown by its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftPhoto {
    /// Its key in the draft (for removing it).
    pub key: u32,
    /// The thumbnail as a `data:` URI.
    pub thumb: String,
}

/// What the editor shows.
#[derive(Debug, Clone, PartialEq)]
pub struct EditorView {
    /// The room's name.
    pub room: String,
    /// The item's name.
    pub item: String,
    /// Every category, id and name.
    pub categories: Vec<(CategoryId, String)>,
    /// The chosen category.
    pub category: CategoryId,
    /// The chosen severity.
    pub severity: Severity,
    /// The description so far.
    pub description: String,
    /// Photos in the draft.
    pub photos: Vec<DraftPhoto>,
    /// Photos still being processed.
    pub processing: usize,
    /// The camera roll, while it is open.
    pub gallery: Option<Vec<GalleryEntry>>,
    /// Why the last save or photo failed.
    pub error: Option<String>,
    /// The unit's floor plan with the pin so far, when the project has one on the phone.
    pub plan: Option<PlanView>,
}

/// The editor.
#[component]
pub fn FindingEditorScreen(
    lang: Lang,
    view: EditorView,
    on_category: EventHandler<CategoryId>,
    on_severity: EventHandler<Severity>,
    on_description: EventHandler<String>,
    on_files: EventHandler<FormEvent>,
    on_open_gallery: EventHandler<()>,
    on_gallery_pick: EventHandler<String>,
    on_remove: EventHandler<u32>,
    on_pin: EventHandler<(f64, f64)>,
    on_clear_pin: EventHandler<()>,
    on_save: EventHandler<()>,
    on_cancel: EventHandler<()>,
) -> Element {
    rsx! {
        div { class: "card",
            dl {
                dt { "{Msg::Room.text(lang)}" }
                dd { "{view.room}" }
                dt { "{Msg::Item.text(lang)}" }
                dd { "{view.item}" }
            }
            label { r#for: "category", "{Msg::Category.text(lang)}" }
            select {
                id: "category",
                onchange: move |evt| {
                    if let Ok(id) = evt.value().parse() {
                        on_category.call(id);
                    }
                },
                for (id, name) in view.categories {
                    option { value: "{id}", selected: id == view.category, "{name}" }
                }
            }
            label { "{Msg::Severity.text(lang)}" }
            div { class: "chips",
                for severity in Severity::ALL {
                    button {
                        id: "severity-{severity.as_str()}",
                        class: if severity == view.severity { "on" } else { "" },
                        onclick: move |_| on_severity.call(severity),
                        "{severity.as_str()} {lang.pick(severity.label_zh(), severity.label_en())}"
                    }
                }
            }
            label { r#for: "description", "{Msg::Description.text(lang)}" }
            textarea {
                id: "description",
                placeholder: "{Msg::DescriptionHint.text(lang)}",
                initial_value: "{view.description}",
                oninput: move |evt| on_description.call(evt.value()),
            }
            label { "{Msg::Photos.text(lang)}" }
            PhotoPicker {
                lang,
                photos: view.photos,
                processing: view.processing,
                on_files,
                on_remove,
            }
            button {
                id: "open-gallery",
                class: "pick",
                onclick: move |_| on_open_gallery.call(()),
                GalleryIcon {}
                " {Msg::FromFolder.text(lang)}"
            }
            if let Some(gallery) = view.gallery {
                FolderPick { lang, entries: gallery, id_prefix: "gallery", on_pick: on_gallery_pick }
            }
            if let Some(plan) = view.plan {
                FloorPlanPin { lang, plan, on_pin, on_clear: on_clear_pin }
            }
            if let Some(error) = view.error {
                p { class: "error", role: "alert", "{error}" }
            }
            div { class: "row",
                button { id: "cancel", class: "grow", onclick: move |_| on_cancel.call(()), "{Msg::Cancel.text(lang)}" }
                button {
                    id: "save",
                    class: "primary grow",
                    style: "margin-top:0",
                    disabled: view.processing > 0,
                    onclick: move |_| on_save.call(()),
                    "{Msg::Save.text(lang)}"
                }
            }
        }
    }
}
