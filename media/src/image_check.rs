//! What an uploaded image must be before the server keeps it: an image whose header says a
//! size within bounds, and whose data decodes.
//!
//! The first bytes only say which format a file claims to be. A PNG declaring 50,000 × 50,000
//! pixels is a few kilobytes that asks every phone and browser showing it for 10 GB of memory;
//! a JPEG whose header lies about its data breaks the viewers that trust it. So on completion
//! the server reads the header (the size, without decoding), refuses more than
//! [`MAX_SIDE`] pixels a side or [`MAX_PIXELS`] in all, and then decodes the image within
//! those bounds: a JPEG at 1/8 scale (jpeg-decoder reads every block's data to do it, at a
//! fraction of the cost), a PNG whole under a memory limit.
//!
//! The decoded pixels then make the thumbnail the office shows ([`Checked::thumbnail`]): made
//! by the server from the very bytes it keeps, never taken on a device's word (a phone's own
//! thumbnail could show anything). A JPEG's 1/8-scale decode is already about thumbnail size.

use std::io::Cursor;

use crate::ImageType;

/// Most pixels on one side: a floor plan scanned at 600 dpi on A0 paper is about 20,000.
pub const MAX_SIDE: u32 = 20_000;

/// Most pixels in all: 100 megapixels, far above any phone photo or plan.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Why an image is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageRefusal {
    /// The header declares more pixels than any evidence has.
    #[error(
        "the image says it is {width} × {height} pixels; at most {MAX_SIDE} a side and \
         {MAX_PIXELS} in all are kept"
    )]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The header or the data does not decode.
    #[error("the image does not decode: {0}")]
    Undecodable(String),
}

/// Long edge of the thumbnail the server makes of every image it keeps, in pixels.
pub const THUMB_EDGE: u32 = 320;

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The width the header declares.
    pub width: u32,
    /// The height the header declares.
    pub height: u32,
    /// A JPEG of at most [`THUMB_EDGE`] pixels a side, made from the decoded pixels; `None` for
    /// the rare pixel formats it is not made for (CMYK, 16-bit grey).
    pub thumbnail: Option<Vec<u8>>,
}

/// The thumbnail of decoded pixels: scaled down to [`THUMB_EDGE`] on the long edge (never up),
/// encoded as a JPEG.
fn thumbnail(image: image::RgbImage) -> Option<Vec<u8>> {
    let (w, h) = image.dimensions();
    let image = if w.max(h) > THUMB_EDGE {
        let scale = f64::from(THUMB_EDGE) / f64::from(w.max(h));
        let tw = ((f64::from(w) * scale).round() as u32).max(1);
        let th = ((f64::from(h) * scale).round() as u32).max(1);
        image::imageops::thumbnail(&image, tw, th)
    } else {
        image
    };
    let (w, h) = image.dimensions();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(
            image.as_raw(),
            u16::try_from(w).ok()?,
            u16::try_from(h).ok()?,
            jpeg_encoder::ColorType::Rgb,
        )
        .ok()?;
    Some(out)
}

/// Checks `bytes`, of the type sniffed from them, as the module docs say, and makes their
/// thumbnail.
pub fn check(kind: ImageType, bytes: &[u8]) -> Result<Checked, ImageRefusal> {
    let bad = |e: &dyn std::fmt::Display| ImageRefusal::Undecodable(e.to_string());
    match kind {
        ImageType::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            decoder.read_info().map_err(|e| bad(&e))?;
            let info = decoder
                .info()
                .ok_or_else(|| ImageRefusal::Undecodable("no frame header".into()))?;
            let (width, height) = (u32::from(info.width), u32::from(info.height));
            within(width, height)?;
            let (sw, sh) = decoder
                .scale(info.width.div_ceil(8), info.height.div_ceil(8))
                .map_err(|e| bad(&e))?;
            let pixels = decoder.decode().map_err(|e| bad(&e))?;
            let (sw, sh) = (u32::from(sw), u32::from(sh));
            let rgb = match info.pixel_format {
                jpeg_decoder::PixelFormat::RGB24 => image::RgbImage::from_raw(sw, sh, pixels),
                jpeg_decoder::PixelFormat::L8 => image::GrayImage::from_raw(sw, sh, pixels)
                    .map(|g| image::DynamicImage::ImageLuma8(g).to_rgb8()),
                _ => None,
            };
            Ok(Checked {
                width,
                height,
                thumbnail: rgb.and_then(thumbnail),
            })
        }
        ImageType::Png => {
            let reader =
                image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Png);
            let (width, height) = reader.into_dimensions().map_err(|e| bad(&e))?;
            within(width, height)?;
            let mut reader =
                image::ImageReader::with_format(Cursor::new(bytes), image::ImageFormat::Png);
            let mut limits = image::Limits::default();
            limits.max_image_width = Some(MAX_SIDE);
            limits.max_image_height = Some(MAX_SIDE);
            limits.max_alloc = Some(MAX_PIXELS * 4);
            reader.limits(limits);
            let decoded = reader.decode().map_err(|e| bad(&e))?;
            // Scaled first, so that only the thumbnail is converted; transparent parts (a
            // signature's background) shown over white, as on paper.
            let rgba = decoded.thumbnail(THUMB_EDGE, THUMB_EDGE).to_rgba8();
            let small = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                let over_white = |c: u8| {
                    let (c, a) = (u32::from(c), u32::from(a));
                    u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
                };
                image::Rgb([over_white(r), over_white(g), over_white(b)])
            });
            Ok(Checked {
                width,
                height,
                thumbnail: thumbnail(small),
            })
        }
    }
}

fn within(width: u32, height: u32) -> Result<(), ImageRefusal> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
        Err(ImageRefusal::TooLarge { width, height })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `width` × `height` as its header declares, with `data` as its only IDAT.
    fn png_header(width: u32, height: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            out.extend((data.len() as u32).to_be_bytes());
            let mut crc = crc32fast::Hasher::new();
            crc.update(kind);
            crc.update(data);
            out.extend(kind);
            out.extend(data);
            out.extend(crc.finalize().to_be_bytes());
        }
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut ihdr = Vec::new();
        ihdr.extend(width.to_be_bytes());
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 0, 0, 0, 0]);
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(
            &mut out,
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        );
        chunk(&mut out, b"IEND", &[]);
        out
    }

    #[test]
    fn a_png_declaring_fifty_thousand_pixels_a_side_is_refused_unread() {
        assert_eq!(
            check(ImageType::Png, &png_header(50_000, 50_000)),
            Err(ImageRefusal::TooLarge {
                width: 50_000,
                height: 50_000
            })
        );
    }

    #[test]
    fn a_real_png_passes_and_one_with_lying_data_does_not() {
        let mut good = Vec::new();
        image::DynamicImage::new_luma8(64, 32)
            .write_to(&mut Cursor::new(&mut good), image::ImageFormat::Png)
            .unwrap();
        let checked = check(ImageType::Png, &good).unwrap();
        assert_eq!((checked.width, checked.height), (64, 32));
        assert!(matches!(
            check(ImageType::Png, &png_header(640, 480)),
            Err(ImageRefusal::Undecodable(_))
        ));
    }

    #[test]
    fn a_jpeg_that_is_only_its_magic_is_refused() {
        let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
        fake.extend([7u8; 4_000]);
        assert!(matches!(
            check(ImageType::Jpeg, &fake),
            Err(ImageRefusal::Undecodable(_))
        ));
    }

    /// The size and the pixels of a JPEG.
    fn decoded(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut d = jpeg_decoder::Decoder::new(Cursor::new(jpeg));
        let pixels = d.decode().unwrap();
        let info = d.info().unwrap();
        (u32::from(info.width), u32::from(info.height), pixels)
    }

    #[test]
    fn a_jpeg_and_a_png_get_a_thumbnail_made_from_their_own_pixels() {
        // 1000 × 600, red on the left half and blue on the right.
        let image = image::RgbImage::from_fn(1000, 600, |x, _| {
            image::Rgb(if x < 500 {
                [220, 20, 20]
            } else {
                [20, 20, 220]
            })
        });
        let mut jpeg = Vec::new();
        let encoder = jpeg_encoder::Encoder::new(&mut jpeg, 90);
        encoder
            .encode(image.as_raw(), 1000, 600, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let checked = check(ImageType::Jpeg, &jpeg).unwrap();
        assert_eq!((checked.width, checked.height), (1000, 600));
        let (tw, th, pixels) = decoded(&checked.thumbnail.unwrap());
        assert_eq!((tw, th), (125, 75), "the 1/8-scale decode");
        let at = |x: u32| &pixels[((th / 2 * tw + x) * 3) as usize..][..3];
        assert!(
            at(10)[0] > 150 && at(10)[2] < 100,
            "red on the left: {:?}",
            at(10)
        );
        assert!(
            at(tw - 10)[2] > 150 && at(tw - 10)[0] < 100,
            "blue on the right"
        );

        // A PNG of 800 × 400 comes down to 320 × 160.
        let image = image::RgbImage::from_pixel(800, 400, image::Rgb([30, 160, 30]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let checked = check(ImageType::Png, &png).unwrap();
        let (tw, th, pixels) = decoded(&checked.thumbnail.unwrap());
        assert_eq!((tw, th), (320, 160));
        assert!(
            pixels[1] > 120 && pixels[0] < 80,
            "green: {:?}",
            &pixels[..3]
        );
    }
}
