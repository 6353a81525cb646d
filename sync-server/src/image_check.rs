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

use std::io::Cursor;

use crate::blobs::ImageType;

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

/// Checks `bytes`, of the type sniffed from them, as the module docs say.
pub fn check(kind: ImageType, bytes: &[u8]) -> Result<(u32, u32), ImageRefusal> {
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
            decoder
                .scale(info.width.div_ceil(8), info.height.div_ceil(8))
                .map_err(|e| bad(&e))?;
            decoder.decode().map_err(|e| bad(&e))?;
            Ok((width, height))
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
            reader.decode().map_err(|e| bad(&e))?;
            Ok((width, height))
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
        assert_eq!(check(ImageType::Png, &good), Ok((64, 32)));
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
}
