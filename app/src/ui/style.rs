//! The app's look: one small stylesheet, mobile-first (360 px wide and up), big targets for a
//! thumb, and colours that say the same as their words (a unit's state is also written, never
//! colour alone).

/// What goes into the window's `<head>`: the viewport for phones and the stylesheet.
pub const HEAD: &str = concat!(
    r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#,
    "<style>",
    include_str!("style.css"),
    "</style>"
);
