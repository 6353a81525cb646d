//! A floor plan with the defect's pin: tapped in the finding editor to place or move the pin,
//! shown read-only on a finding's page.
//!
//! The plan is drawn as wide as the screen (360 px phones and up) at its own aspect ratio. A
//! tap's point comes from [`MouseData::element_coordinates`] (relative to the plan's box: the
//! image and the marker let taps through to it) and the box's size from the element's client
//! rectangle, read when the tap arrives ([`MountedData::get_client_rect`]), so the pin is
//! stored as a fraction of the plan (0–1 from the top-left) and lands on the same spot at any
//! screen size. The box has no border (its frame in `style.css` is a shadow): the rectangle
//! includes a border, the marker is placed inside it, and engines disagree on which of the two
//! a tap's point is measured from, so with one the three would not measure the same box.

use std::rc::Rc;

use dioxus::prelude::*;

use crate::ui::i18n::{Lang, Msg};

/// A floor plan as a screen shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanView {
    /// The plan's name, e.g. `标准层 3–17F`.
    pub name: String,
    /// The image as a `data:` URI, shared: it is up to 10 MiB of text and screens re-render
    /// often.
    pub src: Rc<str>,
    /// The pin, as fractions of the width and height from the top-left.
    pub pin: Option<(f64, f64)>,
}

/// A tap at `(x, y)` px in a box of `width` × `height` px as fractions of the box, clamped to
/// 0–1; `None` while the box has no size (not laid out yet).
pub fn normalise(x: f64, y: f64, width: f64, height: f64) -> Option<(f64, f64)> {
    let usable = width > 0.0 && height > 0.0 && x.is_finite() && y.is_finite();
    if !usable {
        return None;
    }
    Some(((x / width).clamp(0.0, 1.0), (y / height).clamp(0.0, 1.0)))
}

/// The plan and its pin. With `on_pin`, a tap places (or moves) the pin and `on_clear` offers
/// to remove it; without, the plan only shows where the pin is.
#[component]
pub fn FloorPlanPin(
    lang: Lang,
    plan: PlanView,
    on_pin: Option<EventHandler<(f64, f64)>>,
    on_clear: Option<EventHandler<()>>,
) -> Element {
    let mut target = use_signal(|| None::<Rc<MountedData>>);
    let editable = on_pin.is_some();
    let marker = plan
        .pin
        .map(|(x, y)| format!("left:{:.3}%;top:{:.3}%", x * 100.0, y * 100.0));
    rsx! {
        div { class: "plan", id: "floor-plan",
            label { "{Msg::FloorPlan.text(lang)} · {plan.name}" }
            div {
                class: "plan-image",
                id: "plan-target",
                onmounted: move |evt: MountedEvent| target.set(Some(evt.data())),
                onclick: move |evt: MouseEvent| {
                    let Some(on_pin) = on_pin else { return };
                    let at = evt.element_coordinates();
                    let Some(mounted) = target() else { return };
                    spawn(async move {
                        match mounted.get_client_rect().await {
                            Ok(rect) => {
                                if let Some(p) = normalise(at.x, at.y, rect.width(), rect.height()) {
                                    on_pin.call(p);
                                }
                            }
                            Err(e) => tracing::warn!("the plan's size could not be read: {e}"),
                        }
                    });
                },
                img { src: "{plan.src}", alt: "{plan.name}" }
                if let Some(style) = marker {
                    div { class: "pin", id: "plan-pin", style: "{style}" }
                }
            }
            if editable {
                p { class: "muted",
                    if plan.pin.is_some() {
                        "{Msg::PinPlaced.text(lang)}"
                    } else {
                        "{Msg::PinHint.text(lang)}"
                    }
                }
                if plan.pin.is_some() {
                    button {
                        id: "clear-pin",
                        onclick: move |_| {
                            if let Some(on_clear) = on_clear {
                                on_clear.call(());
                            }
                        },
                        "{Msg::ClearPin.text(lang)}"
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_become_fractions_of_the_plan() {
        assert_eq!(normalise(180.0, 60.0, 360.0, 240.0), Some((0.5, 0.25)));
        assert_eq!(normalise(-3.0, 300.0, 360.0, 240.0), Some((0.0, 1.0)));
        assert_eq!(normalise(10.0, 10.0, 0.0, 240.0), None);
        assert_eq!(normalise(f64::NAN, 10.0, 360.0, 240.0), None);
    }
}
