//! Generated photos for a scripted history: a wall, floor or tile surface with a defect on it
//! (a stain, a crack or a chipped patch), different for every seed, encoded as a JPEG the size
//! of a phone's thumbnail-ready capture. They only need to look like evidence at a glance and
//! to differ from each other, so that every photo is its own blob.

use image::{Rgb, RgbImage};

use super::Rng;

/// Width and height of a generated photo.
pub const SIZE: (u32, u32) = (640, 480);

/// A generated photo and its size.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The JPEG bytes.
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Surfaces the photos are taken of: plaster, tile, timber floor, concrete.
const SURFACES: [[u8; 3]; 4] = [
    [226, 218, 200],
    [236, 236, 232],
    [170, 128, 88],
    [160, 160, 156],
];

/// The photo for `seed`.
pub fn picture(seed: u64) -> std::io::Result<Picture> {
    let mut rng = Rng::new(seed);
    let (w, h) = SIZE;
    let base = SURFACES[rng.below(SURFACES.len())];
    let tint = [rng.range(-12, 12), rng.range(-12, 12), rng.range(-12, 12)];
    let tiles = rng.chance(0.4).then(|| rng.range(60, 140) as u32);
    let mut image = RgbImage::from_fn(w, h, |x, y| {
        // Light falls from one side; grout lines where the surface is tiled.
        let shade = (x as i64 + y as i64 / 2) * 24 / i64::from(w + h / 2) - 12;
        let grout = tiles.is_some_and(|t| x % t < 3 || y % t < 3);
        let px = |c: usize| {
            let v = i64::from(base[c]) + tint[c] - shade - if grout { 60 } else { 0 };
            v.clamp(0, 255) as u8
        };
        Rgb([px(0), px(1), px(2)])
    });
    // The defect: a stain (a soft dark blob), a crack (a wandering dark line) or a chip.
    let (cx, cy) = (
        rng.range(i64::from(w) / 5, i64::from(w) * 4 / 5),
        rng.range(i64::from(h) / 5, i64::from(h) * 4 / 5),
    );
    match rng.below(3) {
        0 => {
            let r = rng.range(40, 130);
            let colour = [rng.range(60, 120), rng.range(50, 100), rng.range(20, 60)];
            for (x, y, p) in image.enumerate_pixels_mut() {
                let d2 = (i64::from(x) - cx).pow(2) + (i64::from(y) - cy).pow(2) * 3 / 2;
                if d2 < r * r {
                    let weight = 1.0 - (d2 as f64 / (r * r) as f64);
                    for c in 0..3 {
                        let v = f64::from(p[c]) * (1.0 - 0.6 * weight)
                            + colour[c] as f64 * 0.6 * weight;
                        p[c] = v as u8;
                    }
                }
            }
        }
        1 => {
            let (mut x, mut y) = (cx, cy);
            let steps = rng.range(150, 400);
            let (dx, dy) = (rng.range(-2, 3), rng.range(1, 3));
            for _ in 0..steps {
                for (ox, oy) in [(0, 0), (1, 0), (0, 1)] {
                    if let Some(p) = image.get_pixel_mut_checked((x + ox) as u32, (y + oy) as u32) {
                        *p = Rgb([40, 36, 32]);
                    }
                }
                x = (x + dx + rng.range(-1, 2)).clamp(0, i64::from(w) - 2);
                y = (y + dy + rng.range(-1, 2)).clamp(0, i64::from(h) - 2);
            }
        }
        _ => {
            let (rw, rh) = (rng.range(20, 70), rng.range(15, 50));
            for y in (cy - rh).max(0)..(cy + rh).min(i64::from(h)) {
                for x in (cx - rw).max(0)..(cx + rw).min(i64::from(w)) {
                    if rng.chance(0.85) {
                        image.put_pixel(x as u32, y as u32, Rgb([118, 112, 104]));
                    }
                }
            }
        }
    }
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 80)
        .encode(
            image.as_raw(),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(std::io::Error::other)?;
    Ok(Picture {
        bytes,
        width: w,
        height: h,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_gives_a_different_jpeg_of_the_stated_size() {
        let a = picture(1).unwrap();
        let b = picture(2).unwrap();
        assert_ne!(a.bytes, b.bytes);
        assert_eq!(
            picture(1).unwrap().bytes,
            a.bytes,
            "the same seed, the same photo"
        );
        let mut decoder = jpeg_decoder::Decoder::new(&a.bytes[..]);
        decoder.read_info().unwrap();
        let info = decoder.info().unwrap();
        assert_eq!((u32::from(info.width), u32::from(info.height)), SIZE);
        assert_eq!((a.width, a.height), SIZE);
    }
}
