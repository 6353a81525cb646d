//! Drawing laid-out documents with krilla (the `pdf` feature): the font lookup, the layout
//! into pages and the PDF writer. See [`super`] for what a document is.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};

use super::{Block, FAMILIES, PaperError};

/// A4, in points.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
/// Margin on every side, in points (about 20 mm).
const MARGIN: f32 = 56.0;
/// Body text size and line height, in points.
const BODY: f32 = 11.0;
const LINE: f32 = 17.0;
/// Title size, in points.
const TITLE: f32 = 20.0;
/// Heading size, in points.
const HEADING: f32 = 13.0;
/// Size of [`Block::Code`], in points: a 64-character hash fits the width.
const CODE: f32 = 9.0;
/// Width of the label column of fact rows, in points.
const LABEL_WIDTH: f32 = 130.0;

/// The font every document is drawn with, looked up once; `None` when the system has none.
static FONT: LazyLock<Option<Font>> = LazyLock::new(|| {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    FAMILIES.iter().find_map(|family| {
        let query = fontdb::Query {
            families: &[fontdb::Family::Name(family)],
            ..fontdb::Query::default()
        };
        let id = db.query(&query)?;
        let (data, index) = db.with_face_data(id, |data, index| (data.to_vec(), index))?;
        tracing::info!(%family, "PDF font found");
        Font::new(data.into(), index)
    })
});

/// Fonts read from configured files, by path: read once, shared by every PDF after.
static FONT_FILES: LazyLock<Mutex<BTreeMap<String, Font>>> = LazyLock::new(Mutex::default);

/// The font PDFs are drawn with: the file `font_file`, or the system's CJK font when it is
/// empty.
pub fn font(font_file: &str) -> Result<Font, PaperError> {
    if font_file.is_empty() {
        return FONT.clone().ok_or(PaperError::NoFont);
    }
    let mut files = FONT_FILES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(font) = files.get(font_file) {
        return Ok(font.clone());
    }
    let refused = |reason: String| PaperError::FontFile {
        path: font_file.to_owned(),
        reason,
    };
    let data = std::fs::read(font_file).map_err(|e| refused(e.to_string()))?;
    let font = Font::new(data.into(), 0).ok_or_else(|| refused("not a font file".to_owned()))?;
    tracing::info!(path = %font_file, "PDF font read from the configured file");
    files.insert(font_file.to_owned(), font.clone());
    Ok(font)
}

/// One thing to draw, placed on a page.
enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Rule {
        y: f32,
    },
    Picture {
        x: f32,
        y: f32,
        size: Size,
        image: Image,
    },
}

/// Lays blocks out into pages of marks.
struct Layout {
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    /// Makes room for `height` points, starting a new page when this one is full.
    fn room(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - MARGIN && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn mark(&mut self, mark: Mark) {
        self.pages
            .last_mut()
            .expect("a layout always has a page")
            .push(mark);
    }

    /// Text wrapped to `width` points from `x`, one line after another.
    fn text(&mut self, x: f32, width: f32, size: f32, text: &str) {
        for line in wrap(text, width, size) {
            self.room(LINE);
            self.y += LINE;
            self.mark(Mark::Text {
                x,
                y: self.y - (LINE - size) / 2.0,
                size,
                text: line,
            });
        }
    }
}

/// Draws `blocks` on A4 pages with the font of `font_file` (see [`font`]).
pub fn render(blocks: &[Block], font_file: &str) -> Result<Vec<u8>, PaperError> {
    let font = font(font_file)?;
    let text_width = PAGE_WIDTH - 2.0 * MARGIN;
    let mut l = Layout::new();
    for block in blocks {
        match block {
            Block::Title(t) => {
                l.room(TITLE * 2.0);
                l.y += TITLE * 1.6;
                let x = ((PAGE_WIDTH - width_of(t, TITLE)) / 2.0).max(MARGIN);
                l.mark(Mark::Text {
                    x,
                    y: l.y,
                    size: TITLE,
                    text: t.clone(),
                });
                l.y += TITLE * 0.6;
            }
            Block::Heading(h) => {
                l.room(LINE * 3.0);
                l.y += LINE * 0.6;
                l.text(MARGIN, text_width, HEADING, h);
            }
            Block::Rows(rows) => {
                for (label, value) in rows {
                    let lines = wrap(value, text_width - LABEL_WIDTH, BODY);
                    l.room(LINE * lines.len().max(1) as f32);
                    let top = l.y;
                    l.text(MARGIN, LABEL_WIDTH - 8.0, BODY, label);
                    let after_label = l.y;
                    l.y = top;
                    l.text(MARGIN + LABEL_WIDTH, text_width - LABEL_WIDTH, BODY, value);
                    l.y = l.y.max(after_label) + 3.0;
                    l.mark(Mark::Rule { y: l.y });
                }
            }
            Block::Paragraph(p) => {
                l.y += 4.0;
                l.text(MARGIN, text_width, BODY, p);
            }
            Block::Numbered(items) => {
                for (i, item) in items.iter().enumerate() {
                    let number = format!("{}.", i + 1);
                    l.room(LINE);
                    let top = l.y;
                    l.text(MARGIN, 24.0, BODY, &number);
                    l.y = top;
                    l.text(MARGIN + 24.0, text_width - 24.0, BODY, item);
                    l.y += 2.0;
                }
            }
            Block::Code(code) => {
                l.text(MARGIN, text_width, CODE, code);
            }
            Block::Photos(photos) => {
                const PER_ROW: usize = 3;
                const GAP: f32 = 10.0;
                let cell = (text_width - GAP * (PER_ROW as f32 - 1.0)) / PER_ROW as f32;
                for row in photos.chunks(PER_ROW) {
                    let mut drawn = Vec::new();
                    let mut tallest: f32 = 0.0;
                    for (i, photo) in row.iter().enumerate() {
                        let picture = match &photo.jpeg {
                            Some(jpeg) => {
                                let image = Image::from_jpeg(jpeg.clone().into(), true)
                                    .map_err(PaperError::Image)?;
                                let (w, h) = image.size();
                                let natural = cell * h as f32 / (w.max(1) as f32);
                                // A portrait photo keeps to a 3:4 cell, narrowed to its ratio.
                                let height = natural.min(cell * 4.0 / 3.0);
                                let width = cell * height / natural.max(1.0);
                                tallest = tallest.max(height);
                                Some((image, width, height))
                            }
                            None => None,
                        };
                        drawn.push((i, picture, &photo.caption));
                    }
                    l.room(tallest + LINE + GAP);
                    let top = l.y + 4.0;
                    for (i, picture, caption) in drawn {
                        let x = MARGIN + i as f32 * (cell + GAP);
                        if let Some((image, width, height)) = picture {
                            let size = Size::from_wh(width, height)
                                .ok_or_else(|| PaperError::Image("a photo without area".into()))?;
                            l.mark(Mark::Picture {
                                x,
                                y: top,
                                size,
                                image,
                            });
                        }
                        l.mark(Mark::Text {
                            x,
                            y: top + tallest + LINE - 4.0,
                            size: CODE,
                            text: caption.clone(),
                        });
                    }
                    l.y = top + tallest + LINE + GAP;
                }
            }
            Block::Image { png, width } => {
                let image = Image::from_png(png.clone().into(), true).map_err(PaperError::Image)?;
                let (w, h) = image.size();
                let height = width * h as f32 / (w.max(1) as f32);
                let size = Size::from_wh(*width, height)
                    .ok_or_else(|| PaperError::Image("an image without area".into()))?;
                l.room(height + 8.0);
                l.y += 4.0;
                l.mark(Mark::Picture {
                    x: MARGIN,
                    y: l.y,
                    size,
                    image,
                });
                l.y += height + 4.0;
            }
        }
    }
    draw(&l.pages, &font)
}

fn draw(pages: &[Vec<Mark>], font: &Font) -> Result<Vec<u8>, PaperError> {
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 has an area");
    for marks in pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text { x, y, size, text } => surface.draw_text(
                    Point::from_xy(*x, *y),
                    font.clone(),
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                ),
                Mark::Rule { y } => {
                    let mut path = PathBuilder::new();
                    path.move_to(MARGIN, *y);
                    path.line_to(PAGE_WIDTH - MARGIN, *y);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: 0.5,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                        surface.set_fill(Some(krilla::paint::Fill::default()));
                    }
                }
                Mark::Picture { x, y, size, image } => {
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), *size);
                    surface.pop();
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PaperError::Write(format!("{e:?}")))
}

/// The estimated width of `text` at `size` points.
fn width_of(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.58 } else { 1.0 })
        .sum::<f32>()
        * size
}

/// `text` in lines no wider than `width` at `size` (by [`width_of`]); a newline breaks too.
fn wrap(text: &str, width: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for c in paragraph.chars() {
            let mut next = line.clone();
            next.push(c);
            if width_of(&next, size) > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_inside_the_width_and_keeps_every_character() {
        let text = "签字后清单不可更改".repeat(10);
        let lines = wrap(&text, 200.0, BODY);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width_of(l, BODY) <= 200.0));
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn a_configured_font_file_draws_and_a_bad_one_is_refused_with_its_path() {
        let blocks = [Block::Title("工程整改通知单".to_owned())];
        // Debian's fonts-noto-cjk, which the test command installs.
        let noto = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
        let pdf = render(&blocks, noto).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let missing = render(&blocks, "/no/such/font.ttc").unwrap_err();
        assert!(
            matches!(&missing, PaperError::FontFile { path, .. } if path == "/no/such/font.ttc"),
            "{missing}"
        );
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.ttf");
        std::fs::write(&text, "这不是字体").unwrap();
        let refused = render(&blocks, &text.display().to_string()).unwrap_err();
        assert!(refused.to_string().contains("not a font file"), "{refused}");
        assert!(refused.to_string().contains("paper.font_file"), "{refused}");
    }
}
