//! The owner's joint inspection (业主陪验): the list the owner checks, name and phone, the
//! signature pad, and the walks signed before with whether their list changed since.
//!
//! The pad records the finger's path in pad coordinates ([`PAD_WIDTH`] × [`PAD_HEIGHT`]) whatever
//! its size on screen: a pointer's position comes from [`PointerData::element_coordinates`] and
//! the pad's size on screen from its client rectangle, read when it is mounted and again at
//! each finger-down. What is drawn is shown as SVG lines; the engine draws the same strokes
//! into the PNG that is kept.

use std::rc::Rc;

use dioxus::prelude::*;

use crate::signature::{MAX_POINTS, PAD_HEIGHT, PAD_WIDTH, Stroke};
use crate::ui::i18n::{Lang, Msg};

/// One finding on the list, in words.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkLine {
    /// Room / item.
    pub place: String,
    /// What is wrong.
    pub description: String,
    /// Severity, in words.
    pub severity: String,
    /// How many photos it has.
    pub photos: usize,
}

/// A walk signed before.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedLine {
    /// 1 for the first.
    pub version: u32,
    /// When, in Beijing time.
    pub signed_at: String,
    /// The owner, masked.
    pub owner: String,
    /// The snapshot hash, shortened for the eye.
    pub hash: String,
    /// Whether a signed finding changed since.
    pub changed: bool,
}

/// The walk screen.
#[component]
pub fn WalkScreen(
    lang: Lang,
    lines: Vec<WalkLine>,
    signed: Vec<SignedLine>,
    name: String,
    phone: String,
    /// The strokes drawn so far. A signal, written by the pad alone: a finger's move redraws
    /// the pad, not the list above it (which reads the unit's document).
    strokes: Signal<Vec<Stroke>>,
    error: Option<String>,
    on_name: EventHandler<String>,
    on_phone: EventHandler<String>,
    on_sign: EventHandler<()>,
) -> Element {
    rsx! {
        if !signed.is_empty() {
            h2 { style: "font-size:16px", "{Msg::SignedWalks.text(lang)}" }
            div { class: "list", id: "signed-walks",
                for w in signed {
                    div { class: "card", id: "walk-v{w.version}",
                        div { class: "row",
                            strong { class: "grow", "{Msg::WalkVersion.text(lang)} {w.version} · {w.signed_at}" }
                            if w.changed {
                                span { class: "status overdue", "{Msg::WalkChangedSince.text(lang)}" }
                            } else {
                                span { class: "status ok", "{Msg::WalkAsSigned.text(lang)}" }
                            }
                        }
                        div { class: "muted", "{w.owner} · {Msg::WalkHash.text(lang)} {w.hash}" }
                    }
                }
            }
        }
        h2 { style: "font-size:16px", "{Msg::WalkListTitle.text(lang)}" }
        p { class: "muted", "{Msg::WalkIntro.text(lang)}" }
        if lines.is_empty() {
            p { id: "walk-empty", "{Msg::WalkNoFindings.text(lang)}" }
        }
        ol { class: "list", id: "walk-lines",
            for line in lines {
                li { class: "card",
                    div { class: "row",
                        strong { class: "grow", "{line.place}" }
                        span { class: "badge", "{line.severity}" }
                    }
                    div { "{line.description}" }
                    if line.photos > 0 {
                        div { class: "muted", "{Msg::Photos.text(lang)} {line.photos}" }
                    }
                }
            }
        }
        label { r#for: "owner-name", "{Msg::OwnerName.text(lang)}" }
        input {
            id: "owner-name",
            // Not a controlled value: a re-render while typing must not drop keystrokes.
            initial_value: "{name}",
            maxlength: 40,
            oninput: move |e| on_name.call(e.value()),
        }
        label { r#for: "owner-phone", "{Msg::OwnerPhone.text(lang)}" }
        input {
            id: "owner-phone",
            r#type: "tel",
            initial_value: "{phone}",
            maxlength: 24,
            oninput: move |e| on_phone.call(e.value()),
        }
        label { "{Msg::SignHere.text(lang)}" }
        SignaturePad { strokes }
        if let Some(e) = error {
            p { class: "error", id: "walk-error", "{e}" }
        }
        div { class: "row",
            button {
                id: "clear-signature",
                onclick: move |_| {
                    let mut strokes = strokes;
                    strokes.set(Vec::new());
                },
                "{Msg::ClearSignature.text(lang)}"
            }
            button {
                id: "sign-walk",
                class: "primary grow",
                onclick: move |_| on_sign.call(()),
                "{Msg::ConfirmSign.text(lang)}"
            }
        }
    }
}

/// The pad: the strokes so far as SVG; the finger's path is added to them in pad coordinates,
/// at most [`MAX_POINTS`] points in all.
#[component]
fn SignaturePad(strokes: Signal<Vec<Stroke>>) -> Element {
    let mut strokes = strokes;
    let mut target = use_signal(|| None::<Rc<MountedData>>);
    // Whether a finger (or the mouse button) is down on the pad.
    let mut drawing = use_signal(|| false);
    // The pad's size on screen; until measured, assume it is drawn at its own size.
    let mut size = use_signal(|| (PAD_WIDTH as f64, PAD_HEIGHT as f64));
    let measure = move || {
        if let Some(mounted) = target() {
            spawn(async move {
                if let Ok(rect) = mounted.get_client_rect().await
                    && rect.width() > 0.0
                    && rect.height() > 0.0
                {
                    size.set((rect.width(), rect.height()));
                }
            });
        }
    };
    let to_pad = move |x: f64, y: f64| {
        let (w, h) = size();
        (
            (x * PAD_WIDTH as f64 / w) as f32,
            (y * PAD_HEIGHT as f64 / h) as f32,
        )
    };
    let paths: Vec<String> = strokes
        .read()
        .iter()
        .map(|s| {
            s.iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    rsx! {
        div {
            id: "signature-pad",
            style: "border:2px dashed #888;border-radius:8px;background:#fff;touch-action:none;width:100%;aspect-ratio:{PAD_WIDTH}/{PAD_HEIGHT};",
            onmounted: move |evt: MountedEvent| {
                target.set(Some(evt.data()));
                measure();
            },
            onpointerdown: move |evt: PointerEvent| {
                measure();
                let at = evt.element_coordinates();
                drawing.set(true);
                strokes.write().push(vec![to_pad(at.x, at.y)]);
            },
            onpointermove: move |evt: PointerEvent| {
                if !drawing() {
                    return;
                }
                let at = evt.element_coordinates();
                let total: usize = strokes.peek().iter().map(Vec::len).sum();
                if total < MAX_POINTS
                    && let Some(last) = strokes.write().last_mut()
                {
                    last.push(to_pad(at.x, at.y));
                }
            },
            onpointerup: move |_| drawing.set(false),
            onpointerleave: move |_| drawing.set(false),
            svg {
                width: "100%",
                height: "100%",
                view_box: "0 0 {PAD_WIDTH} {PAD_HEIGHT}",
                preserve_aspect_ratio: "none",
                style: "pointer-events:none;display:block",
                for (i, points) in paths.into_iter().enumerate() {
                    polyline {
                        key: "{i}",
                        class: "stroke",
                        points: "{points}",
                        fill: "none",
                        stroke: "#111",
                        stroke_width: "5",
                        stroke_linecap: "round",
                        stroke_linejoin: "round",
                    }
                }
            }
        }
    }
}
