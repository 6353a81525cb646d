//! Recognising and decoding a photo file, within the bounds of the [`CaptureSettings`].
//!
//! JPEG goes through `jpeg-decoder`, which can decode at 1/2, 1/4 or 1/8 scale (the `image`
//! crate's JPEG backend, zune-jpeg, always decodes at full size); PNG through `image`. Both
//! check the pixel count from the header before decoding anything.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder as _, ImageError, ImageFormat};

use super::{CaptureError, CaptureSettings, Rgb};

/// The formats we decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Jpeg,
    Png,
}

impl Format {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
        }
    }
}

/// A decoded photo, not yet oriented, possibly shrunk on load.
pub(super) struct Decoded {
    /// The pixels, at the original size or shrunk on load.
    pub(super) image: Rgb,
    /// The original's width, as stored (before orientation).
    pub(super) source_width: u32,
    /// The original's height, as stored.
    pub(super) source_height: u32,
    /// The raw EXIF block (a TIFF structure), when the file has one.
    pub(super) exif: Option<Vec<u8>>,
}

/// ISO base media file format brands of HEIF still images: what an iPhone's `.HEIC` files
/// (and Android's "HEIF" option) start with. `mif1`/`msf1` are the generic HEIF brands.
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
    b"mif2",
];
/// AVIF is HEIF with AV1 inside; its files also list `mif1`, so it is checked first.
const AVIF_BRANDS: &[&[u8; 4]] = &[b"avif", b"avis"];

/// Tells which format the bytes are in, from their first bytes.
pub(super) fn sniff(bytes: &[u8]) -> Result<Format, CaptureError> {
    if let Some(brands) = iso_bmff_brands(bytes) {
        let has = |set: &[&[u8; 4]]| brands.iter().any(|b| set.contains(b));
        return Err(if has(AVIF_BRANDS) {
            CaptureError::UnsupportedFormat {
                format: "an AVIF image".into(),
            }
        } else if has(HEIF_BRANDS) {
            CaptureError::Heic
        } else {
            // MP4, MOV, 3GP: a video picked from the gallery.
            CaptureError::NotAnImage
        });
    }
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Format::Jpeg),
        Ok(ImageFormat::Png) => Ok(Format::Png),
        Ok(other) => Err(CaptureError::UnsupportedFormat {
            format: match other {
                ImageFormat::WebP => "a WebP image".into(),
                ImageFormat::Gif => "a GIF image".into(),
                ImageFormat::Tiff => "a TIFF image (or a camera RAW file)".into(),
                ImageFormat::Bmp => "a BMP image".into(),
                other => format!("a {other:?} image"),
            },
        }),
        Err(_) => Err(CaptureError::NotAnImage),
    }
}

/// The major and compatible brands of an ISO base media file (`....ftyp` box first), or
/// `None` when the bytes do not start with an `ftyp` box.
fn iso_bmff_brands(bytes: &[u8]) -> Option<Vec<&[u8; 4]>> {
    let size = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    if bytes.get(4..8)? != b"ftyp" {
        return None;
    }
    let major: &[u8; 4] = bytes.get(8..12)?.try_into().ok()?;
    let mut brands = vec![major];
    // Compatible brands follow the minor version (12..16), to the end of the box.
    let end = size.clamp(16, 256).min(bytes.len());
    if let Some(rest) = bytes.get(16..end) {
        brands.extend(
            rest.chunks_exact(4)
                .filter_map(|c| <&[u8; 4]>::try_from(c).ok()),
        );
    }
    Some(brands)
}

/// Decodes `bytes` (already sniffed as `format`), shrinking on load where that helps.
pub(super) fn decode(
    bytes: &[u8],
    format: Format,
    settings: &CaptureSettings,
) -> Result<Decoded, CaptureError> {
    match format {
        Format::Jpeg => decode_jpeg(bytes, settings),
        Format::Png => decode_png(bytes, settings),
    }
}

/// Refuses an empty image or one over the pixel limit, before anything is allocated for it.
fn check_pixels(width: u32, height: u32, settings: &CaptureSettings) -> Result<(), CaptureError> {
    if width == 0 || height == 0 {
        return Err(CaptureError::Corrupt {
            reason: format!("its header says it is {width} × {height} px"),
        });
    }
    if u64::from(width) * u64::from(height) > settings.max_input_pixels {
        return Err(CaptureError::TooManyPixels {
            width,
            height,
            max_pixels: settings.max_input_pixels,
        });
    }
    Ok(())
}

fn decode_jpeg(bytes: &[u8], settings: &CaptureSettings) -> Result<Decoded, CaptureError> {
    use jpeg_decoder::PixelFormat;

    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(jpeg_error)?;
    let info = decoder.info().ok_or_else(no_frame)?;
    let (source_width, source_height) = (u32::from(info.width), u32::from(info.height));
    check_pixels(source_width, source_height, settings)?;
    let deep = || CaptureError::UnsupportedFormat {
        format: "a 12- or 16-bit greyscale JPEG".into(),
    };
    if info.pixel_format == PixelFormat::L16 {
        return Err(deep());
    }
    if source_width.max(source_height) > settings.max_edge {
        // The decoder picks the smallest of 1/8, 1/4, 1/2 and 1 at which one side still
        // reaches the requested size, so the long edge stays at least `max_edge` and the
        // final resize only ever shrinks. (JPEG sides are 16-bit, and so is max_edge here.)
        let target = u16::try_from(settings.max_edge).unwrap_or(u16::MAX);
        decoder.scale(target, target).map_err(jpeg_error)?;
    }
    let out = decoder.info().ok_or_else(no_frame)?;
    // The output buffer, a second bound next to the pixel check.
    decoder.set_max_decoding_buffer_size(
        usize::from(out.width) * usize::from(out.height) * out.pixel_format.pixel_bytes(),
    );
    let pixels = decoder.decode().map_err(jpeg_error)?;
    let info = decoder.info().ok_or_else(no_frame)?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let pixels = match info.pixel_format {
        PixelFormat::RGB24 => pixels,
        PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        PixelFormat::CMYK32 => cmyk_to_rgb(&pixels),
        PixelFormat::L16 => return Err(deep()),
    };
    if pixels.len() != width as usize * height as usize * 3 {
        return Err(CaptureError::Corrupt {
            reason: "the decoder returned fewer pixels than the header states".into(),
        });
    }
    Ok(Decoded {
        image: Rgb {
            width,
            height,
            pixels,
        },
        source_width,
        source_height,
        exif: decoder.exif_data().map(<[u8]>::to_vec),
    })
}

fn no_frame() -> CaptureError {
    CaptureError::Corrupt {
        reason: "it has no JPEG frame header".into(),
    }
}

/// CMYK as `jpeg-decoder` returns it (Adobe's inversion already undone) to RGB, the naive way
/// (no colour profile): rare in camera photos, common in scanned print material.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u16::from(p[3]);
            let channel = |c: u8| ((255 - u16::from(c)) * k / 255) as u8;
            [channel(p[0]), channel(p[1]), channel(p[2])]
        })
        .collect()
}

fn jpeg_error(error: jpeg_decoder::Error) -> CaptureError {
    use jpeg_decoder::{Error, UnsupportedFeature};

    match error {
        Error::Unsupported(feature) => CaptureError::UnsupportedFormat {
            format: match feature {
                UnsupportedFeature::ArithmeticEntropyCoding => "an arithmetic-coded JPEG".into(),
                UnsupportedFeature::Hierarchical => "a hierarchical JPEG".into(),
                other => format!("a JPEG variant ({other:?})"),
            },
        },
        Error::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => CaptureError::Corrupt {
            reason: "the file ends before the image does".into(),
        },
        Error::Format(reason) => CaptureError::Corrupt { reason },
        other => CaptureError::Corrupt {
            reason: other.to_string(),
        },
    }
}

fn decode_png(bytes: &[u8], settings: &CaptureSettings) -> Result<Decoded, CaptureError> {
    // IHDR is the first chunk (the PNG spec requires it): its size is checked before the
    // decoder allocates anything.
    let header = |at: usize| {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    let (Some(width), Some(height)) = (header(16), header(20)) else {
        return Err(CaptureError::Corrupt {
            reason: "the file ends inside the PNG header".into(),
        });
    };
    check_pixels(width, height, settings)?;

    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), ImageFormat::Png);
    let mut limits = image::Limits::default();
    // 8 bytes a pixel: 16-bit RGBA, the widest PNG; a second bound behind the pixel check.
    limits.max_alloc = Some(settings.max_input_pixels.saturating_mul(8));
    reader.limits(limits);
    let to_error = |e: ImageError| match e {
        ImageError::Limits(_) => CaptureError::TooManyPixels {
            width,
            height,
            max_pixels: settings.max_input_pixels,
        },
        ImageError::Unsupported(e) => CaptureError::UnsupportedFormat {
            format: format!("a PNG variant ({e})"),
        },
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            CaptureError::Corrupt {
                reason: "the file ends before the image does".into(),
            }
        }
        other => CaptureError::Corrupt {
            reason: other.to_string(),
        },
    };
    let mut decoder = reader.into_decoder().map_err(to_error)?;
    let exif = decoder.exif_metadata().unwrap_or_else(|e| {
        tracing::debug!(error = %e, "unreadable PNG eXIf chunk ignored");
        None
    });
    let image = DynamicImage::from_decoder(decoder).map_err(to_error)?;
    Ok(Decoded {
        image: flatten(image),
        source_width: width,
        source_height: height,
        exif,
    })
}

/// To 8-bit RGB; transparency (screenshots, exported plans) over white, as a viewer shows
/// it, rather than over whatever colour the transparent pixels happen to hold.
fn flatten(image: DynamicImage) -> Rgb {
    let (width, height) = (image.width(), image.height());
    let pixels = if image.color().has_alpha() {
        image
            .into_rgba8()
            .pixels()
            .flat_map(|p| {
                let [r, g, b, a] = p.0;
                let over_white = |c: u8| {
                    ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8
                };
                [over_white(r), over_white(g), over_white(b)]
            })
            .collect()
    } else {
        image.into_rgb8().into_raw()
    };
    Rgb {
        width,
        height,
        pixels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            b.extend_from_slice(*c);
        }
        b.extend_from_slice(&[0, 0, 0, 8, b'm', b'e', b't', b'a']);
        b
    }

    #[test]
    fn heif_family_brands_are_heic_avif_is_avif_video_is_not_an_image() {
        let heic = ftyp(b"heic", &[b"mif1", b"heic"]);
        assert!(matches!(sniff(&heic), Err(CaptureError::Heic)));
        let generic = ftyp(b"mif1", &[b"heic"]);
        assert!(matches!(sniff(&generic), Err(CaptureError::Heic)));
        let avif = ftyp(b"avif", &[b"avif", b"mif1", b"miaf"]);
        assert!(
            matches!(sniff(&avif), Err(CaptureError::UnsupportedFormat { format }) if format.contains("AVIF"))
        );
        let mp4 = ftyp(b"isom", &[b"isom", b"iso2", b"mp41"]);
        assert!(matches!(sniff(&mp4), Err(CaptureError::NotAnImage)));
    }

    #[test]
    fn other_image_formats_are_named() {
        let err = sniff(b"GIF89a\x01\x00\x01\x00").expect_err("gif is not decoded");
        assert!(err.to_string().contains("a GIF image"), "{err}");
        let err = sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ").expect_err("webp is not decoded");
        assert!(err.to_string().contains("a WebP image"), "{err}");
    }

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let pixels = vec![128; usize::from(width) * usize::from(height) * 3];
        let mut out = Vec::new();
        jpeg_encoder::Encoder::new(&mut out, 80)
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .expect("encode");
        out
    }

    #[test]
    fn jpeg_is_decoded_at_the_smallest_scale_that_covers_the_display_size() {
        let settings = |max_edge| CaptureSettings {
            max_edge,
            ..CaptureSettings::default()
        };
        for (max_edge, decoded) in [(500, (550, 275)), (200, (275, 138)), (1100, (1100, 550))] {
            let d = decode(&jpeg(2200, 1100), Format::Jpeg, &settings(max_edge)).expect("decode");
            assert_eq!(
                (d.image.width, d.image.height),
                decoded,
                "max_edge {max_edge}"
            );
            assert_eq!((d.source_width, d.source_height), (2200, 1100));
            assert_eq!(
                d.image.pixels.len(),
                decoded.0 as usize * decoded.1 as usize * 3
            );
        }
    }

    #[test]
    fn cmyk_and_transparency_become_plain_rgb() {
        assert_eq!(
            cmyk_to_rgb(&[0, 0, 0, 0, 255, 0, 0, 0]),
            [255, 255, 255, 0, 255, 255]
        );
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, image::Rgba([10, 20, 30, 255]));
        let flat = flatten(DynamicImage::ImageRgba8(rgba));
        assert_eq!(flat.pixels, [255, 255, 255, 10, 20, 30]);
    }
}
