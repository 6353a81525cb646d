//! View models: what each screen shows, computed from the engine's records by plain functions.
//!
//! Screens take these as props, so the rules ("which colour is this unit", "is this finding
//! overdue") are tested without a DOM, and the component tests render fixtures of them.

pub mod checklist;
pub mod enroll;
pub mod findings;
pub mod grid;
pub mod notices;
pub mod sync;
pub mod walk;

/// A `data:` URI for a JPEG, so a thumbnail shows the same in the window and in a rendered
/// test without a file server (a thumbnail is about 20 KB).
pub fn jpeg_data_uri(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A `data:` URI for a floor-plan image, PNG or JPEG by its first bytes (plans are uploaded by
/// the office in either format).
pub fn image_data_uri(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else {
        "image/jpeg"
    };
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}
