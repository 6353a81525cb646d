//! Icons drawn inline as SVG, so that they look the same on every phone and desktop: an emoji
//! or a symbol character depends on the system's fonts, and a WebView without a colour-emoji
//! font draws a missing-glyph box (☒) in its place. Each icon takes the text colour
//! (`currentColor`) and the text's size (`1.2em`), and is hidden from screen readers: the
//! button's words say what it does.

use dioxus::prelude::*;

/// The frame every icon shares: a 24×24 drawing in strokes of the current colour.
#[component]
fn Icon(children: Element) -> Element {
    rsx! {
        svg {
            class: "icon",
            view_box: "0 0 24 24",
            width: "1.2em",
            height: "1.2em",
            fill: "none",
            stroke: "currentColor",
            stroke_width: "2",
            stroke_linecap: "round",
            stroke_linejoin: "round",
            "aria-hidden": "true",
            {children}
        }
    }
}

/// A camera: take a photo.
#[component]
pub fn CameraIcon() -> Element {
    rsx! {
        Icon {
            path { d: "M4 8h3l2-3h6l2 3h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V9a1 1 0 0 1 1-1z" }
            circle { cx: "12", cy: "13.5", r: "3.5" }
        }
    }
}

/// A picture: choose from the photos already on the device.
#[component]
pub fn GalleryIcon() -> Element {
    rsx! {
        Icon {
            rect { x: "3", y: "4", width: "18", height: "16", rx: "2" }
            circle { cx: "8.5", cy: "9.5", r: "1.5" }
            path { d: "M21 15l-5-5-10 10" }
        }
    }
}

/// A tick: passed.
#[component]
pub fn CheckIcon() -> Element {
    rsx! {
        Icon {
            path { d: "M5 12.5l4.5 4.5L19 7.5" }
        }
    }
}
