//! Paper: the office's printed documents as A4 PDF files.
//!
//! A document is a list of [`Block`]s (a title, rows of facts, headings, paragraphs, numbered
//! lines, an image such as a signature or a QR code, a grid of photos); [`render`] lays them out top to bottom, breaking pages
//! where needed, and draws them with krilla, which embeds the subset of the font's glyphs the
//! text uses, so the file shows the same on any machine and its text can be searched and
//! copied.
//!
//! Chinese needs a font that has its glyphs. The configuration names one (`paper.font_file`,
//! a .ttf, .otf or .ttc file); left empty, the server looks one up among the system's fonts
//! once, at the first PDF ([`font`]): Noto Sans CJK SC from Debian's `fonts-noto-cjk`, or
//! another CJK family when that one is missing. Without any, a PDF is refused with
//! [`PaperError::NoFont`], which says what to install, and a configured file that cannot be
//! read with [`PaperError::FontFile`]; the print views need no font of ours.
//!
//! Lines are wrapped by an estimate of each character's width (a CJK character is one em, a
//! Latin one a little over half); forms here hold short facts and sentences, for which this
//! keeps every line inside the margins.

/// The font families tried, in order: Simplified Chinese first.
const FAMILIES: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
];

/// A blank to be filled in by hand on a printed form.
pub const BLANK: &str = "＿＿＿＿＿＿＿＿＿＿";

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PaperError {
    /// No font with Chinese glyphs is installed.
    #[error(
        "no font with Chinese glyphs is installed on the server (looked for {FAMILIES:?}); install \
         Debian's `fonts-noto-cjk` to print PDF files, the print views work without it"
    )]
    NoFont,
    /// The configured font file cannot be read as a font.
    #[error(
        "the font file `{path}` (paper.font_file) cannot be used: {reason}; point it at a .ttf, \
         .otf or .ttc font with Chinese glyphs, or leave it empty for the system's Noto Sans CJK SC"
    )]
    FontFile {
        /// The configured path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// An image does not decode as a PNG.
    #[error("an image of the document is not a readable PNG: {0}")]
    Image(String),
    /// krilla could not write the file.
    #[error("the PDF could not be written: {0}")]
    Write(String),
    /// This server was built without PDF support (the fuzz targets' build).
    #[error("this server was built without PDF support (the `pdf` feature)")]
    NotBuilt,
}

/// One part of a document, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The title, centred.
    Title(String),
    /// A heading.
    Heading(String),
    /// Facts as label and value rows.
    Rows(Vec<(String, String)>),
    /// A paragraph.
    Paragraph(String),
    /// Numbered lines (1., 2., …).
    Numbered(Vec<String>),
    /// A short run of characters that must stay on one line, such as a hash, in small type.
    Code(String),
    /// Photos in a grid, three to a row, each with its caption under it.
    Photos(Vec<Photo>),
    /// A PNG image, drawn `width` points wide at its own aspect ratio.
    Image {
        /// The PNG's bytes.
        png: Vec<u8>,
        /// Width on the page, in points.
        width: f32,
    },
}

/// A photo of [`Block::Photos`].
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    /// The JPEG to draw (the server's thumbnail), or `None` when the server does not hold it
    /// yet: the caption stands alone.
    pub jpeg: Option<Vec<u8>>,
    /// What is written under it (when it was taken).
    pub caption: String,
}

#[cfg(feature = "pdf")]
mod draw;
#[cfg(feature = "pdf")]
pub use draw::{font, render};

/// Without the `pdf` feature (the fuzz targets' build) nothing is drawn.
#[cfg(not(feature = "pdf"))]
pub fn render(_: &[Block], _font_file: &str) -> Result<Vec<u8>, PaperError> {
    Err(PaperError::NotBuilt)
}
