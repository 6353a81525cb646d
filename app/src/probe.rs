//! The layout probe, for the end-to-end test: while `PLUMBLINE_UI_PROBE` names a file, the
//! window writes into it, a few times a second, where each element with an `id` is on the
//! screen and the page's visible text. The test reads it to know where to click and what the
//! screen says; the clicks and keystrokes themselves are real X input events (xdotool), so
//! the app is driven exactly as a person would drive it. Off unless the variable is set.

use std::path::PathBuf;
use std::time::Duration;

use dioxus::document;

/// The script that measures the page: `{ elements: { id: [x, y, width, height, disabled,
/// hit, clear] }, text, height }` (the probe adds the reading's number), in CSS pixels
/// relative to the window's content.
///
/// `hit` says whether a click on the element's middle would reach it (it is on screen and
/// nothing covers it, such as the fixed tab bar); `clear` says whether a click anywhere in it
/// would: it is wholly inside the window and the middle of each of its edges, one pixel in,
/// reaches it too. What covers part of a page here are the sticky title bar and the fixed
/// tabs, which run the window's width, so an element whose top and bottom edges are reached
/// is reached all the way between them; the middle alone said nothing of a tap near the
/// bottom of a tall element, such as the floor plan, that the tabs still covered.
const MEASURE: &str = r#"
const reaches = (el, x, y) => {
  const target = document.elementFromPoint(x, y);
  return target !== null && (target === el || el.contains(target));
};
const view = document.documentElement;
const elements = {};
for (const el of document.querySelectorAll('[id]')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.height > 0) {
    const [cx, cy] = [r.x + r.width / 2, r.y + r.height / 2];
    const hit = reaches(el, cx, cy);
    const inside = r.left >= 0 && r.top >= 0
      && r.right <= view.clientWidth && r.bottom <= view.clientHeight;
    const clear = hit && inside && r.width > 2 && r.height > 2
      && reaches(el, cx, r.top + 1) && reaches(el, cx, r.bottom - 1)
      && reaches(el, r.left + 1, cy) && reaches(el, r.right - 1, cy);
    elements[el.id] = [r.x, r.y, r.width, r.height, el.disabled === true, hit, clear];
  }
}
return { elements, text: document.body.innerText, height: window.innerHeight };
"#;

/// How often the page is measured.
const EVERY: Duration = Duration::from_millis(150);

/// Measures the page forever, replacing `path` atomically each time. Each reading is
/// numbered (`reading`), so that the test can wait for one taken after its last click
/// instead of guessing how long the page takes.
pub async fn run(path: PathBuf) {
    let tmp = path.with_extension("tmp");
    let mut reading: u64 = 0;
    loop {
        tokio::time::sleep(EVERY).await;
        let mut value = match document::eval(MEASURE).await {
            Ok(value) => value,
            Err(e) => {
                tracing::debug!("layout probe: {e}");
                continue;
            }
        };
        reading += 1;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("reading".into(), reading.into());
        }
        let written =
            std::fs::write(&tmp, value.to_string()).and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            tracing::warn!("layout probe: cannot write {}: {e}", path.display());
            return;
        }
    }
}
