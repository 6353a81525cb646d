//! A finger signature: the strokes drawn on the signature pad, and the PNG made of them.
//!
//! The pad records points in its own coordinates ([`PAD_WIDTH`] × [`PAD_HEIGHT`]); the image
//! is drawn here, on the phone, so that what the server keeps is exactly the picture the owner
//! saw while signing. Black ink on white, grey levels only, which PNG keeps small (a signature
//! is a few KB).

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};

/// Width of the pad and of the image, in pixels.
pub const PAD_WIDTH: u32 = 600;
/// Height of the pad and of the image, in pixels.
pub const PAD_HEIGHT: u32 = 240;
/// Half the pen's width, in pixels.
const PEN_RADIUS: f32 = 2.5;
/// Fewest points a signature needs in all: a tap is not a signature.
const MIN_POINTS: usize = 8;
/// Most points kept (a long signature has a few hundred).
pub const MAX_POINTS: usize = 20_000;

/// One stroke: the points from finger down to finger up, in pad coordinates.
pub type Stroke = Vec<(f32, f32)>;

/// Why strokes make no signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Nothing (or only a dot) was drawn.
    #[error("the owner has not signed yet; sign in the box with a finger")]
    Empty,
    /// Far more was drawn than a signature needs.
    #[error("the signature holds more than {MAX_POINTS} points; clear it and sign again")]
    TooLong,
}

/// Draws `strokes` as a PNG of [`PAD_WIDTH`] × [`PAD_HEIGHT`] pixels. Points outside the pad are
/// clamped to its edge.
pub fn render_png(strokes: &[Stroke]) -> Result<Vec<u8>, SignatureError> {
    let points: usize = strokes.iter().map(Vec::len).sum();
    if points < MIN_POINTS {
        return Err(SignatureError::Empty);
    }
    if points > MAX_POINTS {
        return Err(SignatureError::TooLong);
    }
    let mut img = GrayImage::from_pixel(PAD_WIDTH, PAD_HEIGHT, Luma([255]));
    for stroke in strokes {
        let clamp = |(x, y): (f32, f32)| {
            (
                x.clamp(0.0, (PAD_WIDTH - 1) as f32),
                y.clamp(0.0, (PAD_HEIGHT - 1) as f32),
            )
        };
        let mut last = None;
        for &p in stroke {
            let p = clamp(p);
            let from = last.unwrap_or(p);
            segment(&mut img, from, p);
            last = Some(p);
        }
    }
    let mut png = Vec::new();
    img.write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("encoding a grey image in memory cannot fail");
    Ok(png)
}

/// Inks a round-ended line from `a` to `b`, stamping the pen every half pixel.
fn segment(img: &mut GrayImage, a: (f32, f32), b: (f32, f32)) {
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let steps = (len * 2.0).ceil().max(1.0) as u32;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        dot(img, a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    }
}

fn dot(img: &mut GrayImage, cx: f32, cy: f32) {
    let r = PEN_RADIUS;
    let (x0, x1) = ((cx - r).floor().max(0.0) as u32, (cx + r).ceil() as u32);
    let (y0, y1) = ((cy - r).floor().max(0.0) as u32, (cy + r).ceil() as u32);
    for y in y0..=y1.min(PAD_HEIGHT - 1) {
        for x in x0..=x1.min(PAD_WIDTH - 1) {
            if (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2) <= r * r {
                img.put_pixel(x, y, Luma([0]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_stroke_becomes_ink_where_it_was_drawn_and_nowhere_else() {
        let stroke: Stroke = (0..=20).map(|i| (100.0 + i as f32 * 10.0, 120.0)).collect();
        let png = render_png(&[stroke]).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        assert_eq!(img.dimensions(), (PAD_WIDTH, PAD_HEIGHT));
        assert_eq!(img.get_pixel(200, 120).0, [0], "on the line");
        assert_eq!(img.get_pixel(200, 60).0, [255], "above it");
        assert_eq!(img.get_pixel(50, 120).0, [255], "before it starts");
    }

    #[test]
    fn a_tap_or_nothing_is_not_a_signature() {
        assert_eq!(render_png(&[]), Err(SignatureError::Empty));
        assert_eq!(
            render_png(&[vec![(10.0, 10.0), (11.0, 10.0)]]),
            Err(SignatureError::Empty)
        );
    }
}
