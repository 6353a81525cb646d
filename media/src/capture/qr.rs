//! Reading the office's enrollment QR code from a picture: the admin page shows the code (an
//! enrollment link, [`plumbline_shared::enroll_link`]), the inspector photographs it with the
//! phone's camera or picks a screenshot, and the app enrolls without anything typed.
//!
//! The picture goes through the same sniffing and bounded decoding as evidence photos (the
//! same byte and pixel limits, JPEG shrunk on load), is brought down to [`SCAN_EDGE`] on its
//! long edge (a code filling a tenth of a 12-megapixel photo is still over 100 px there, and
//! the detector's time grows with the pixels), and is read with `rqrr`, a pure-Rust port of
//! the quirc decoder. Every code in the picture is tried; the first enrollment link wins.

use plumbline_shared::enroll_link;

use super::{CaptureError, CaptureSettings, decode, fit, resize};

/// Longest edge, in pixels, the picture is searched at.
pub const SCAN_EDGE: u32 = 1_600;

/// Why a picture gave no enrollment link.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The file is not a picture the app can read (the same reasons as for a photo).
    #[error(transparent)]
    Picture(#[from] CaptureError),
    /// No QR code could be read in the picture.
    #[error("no QR code could be read in the picture")]
    NoCode,
    /// A QR code was read, but it is not an enrollment link.
    #[error("the QR code is not a Plumbline enrollment code; it reads `{0}`")]
    NotEnrollment(String),
}

/// The server address and one-time code of the enrollment QR code in the picture `bytes`
/// (JPEG or PNG), within the limits of `settings`.
pub fn scan_enrollment(
    bytes: &[u8],
    settings: &CaptureSettings,
) -> Result<(String, String), ScanError> {
    if bytes.len() as u64 > settings.max_input_bytes {
        return Err(CaptureError::FileTooLarge {
            bytes: bytes.len() as u64,
            max_bytes: settings.max_input_bytes,
        }
        .into());
    }
    let scan_settings = CaptureSettings {
        max_edge: SCAN_EDGE,
        ..settings.clone()
    };
    let format = decode::sniff(bytes)?;
    let decoded = decode::decode(bytes, format, &scan_settings)?.image;
    let (w, h) = fit(decoded.width, decoded.height, SCAN_EDGE);
    let image = resize(&decoded, w, h)?.unwrap_or(decoded);
    let (width, pixels) = (image.width as usize, &image.pixels);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width as usize,
        image.height as usize,
        |x, y| {
            let i = (y * width + x) * 3;
            // ITU-R BT.601 luma, in integers.
            let (r, g, b) = (
                u32::from(pixels[i]),
                u32::from(pixels[i + 1]),
                u32::from(pixels[i + 2]),
            );
            ((r * 299 + g * 587 + b * 114) / 1000) as u8
        },
    );
    let mut other = None;
    for grid in prepared.detect_grids() {
        let Ok((_, content)) = grid.decode() else {
            continue;
        };
        if let Some(target) = enroll_link::parse(&content) {
            return Ok(target);
        }
        other.get_or_insert(content);
    }
    Err(match other {
        Some(content) => ScanError::NotEnrollment(content.chars().take(60).collect()),
        None => ScanError::NoCode,
    })
}

#[cfg(test)]
mod tests {
    use image::{GrayImage, Luma};
    use qrcode::{Color, QrCode};

    use super::*;

    /// A QR code of `text` drawn `module` px a module with a four-module quiet zone, at
    /// (`left`, `top`) on a white canvas of `canvas` px, as PNG bytes.
    fn code_picture(text: &str, module: u32, canvas: (u32, u32), at: (u32, u32)) -> Vec<u8> {
        let code = QrCode::new(text.as_bytes()).expect("the text fits a QR code");
        let width = code.width() as u32;
        let colors = code.to_colors();
        let mut img = GrayImage::from_pixel(canvas.0, canvas.1, Luma([255]));
        for (i, color) in colors.iter().enumerate() {
            if *color == Color::Dark {
                let (mx, my) = (i as u32 % width, i as u32 / width);
                for dy in 0..module {
                    for dx in 0..module {
                        let (x, y) = (at.0 + (mx + 4) * module + dx, at.1 + (my + 4) * module + dy);
                        img.put_pixel(x, y, Luma([0]));
                    }
                }
            }
        }
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .expect("PNG encodes");
        png
    }

    #[test]
    fn the_offices_code_gives_the_server_and_the_code() {
        let link = enroll_link::format("http://192.168.1.20:8080", "K7M2P-9QXDA");
        let picture = code_picture(&link, 8, (600, 600), (20, 20));
        assert_eq!(
            scan_enrollment(&picture, &CaptureSettings::default()).unwrap(),
            (
                "http://192.168.1.20:8080".to_owned(),
                "K7M2P-9QXDA".to_owned()
            )
        );
    }

    #[test]
    fn a_code_in_a_corner_of_a_large_photo_is_found_after_shrinking() {
        let link = enroll_link::format("https://plumbline.example.com", "ABCDE-FGHJK");
        // 4,000 × 3,000 px with the code a fifth of the width, in the lower right.
        let picture = code_picture(&link, 20, (4_000, 3_000), (3_000, 2_000));
        assert_eq!(
            scan_enrollment(&picture, &CaptureSettings::default())
                .unwrap()
                .1,
            "ABCDE-FGHJK"
        );
    }

    #[test]
    fn another_code_or_none_or_no_picture_is_said_so() {
        let settings = CaptureSettings::default();
        let other = code_picture("https://example.com/menu", 8, (400, 400), (10, 10));
        assert!(matches!(
            scan_enrollment(&other, &settings),
            Err(ScanError::NotEnrollment(text)) if text == "https://example.com/menu"
        ));
        let mut white = GrayImage::from_pixel(300, 200, Luma([255]));
        white.put_pixel(5, 5, Luma([0]));
        let mut png = Vec::new();
        white
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        assert!(matches!(
            scan_enrollment(&png, &settings),
            Err(ScanError::NoCode)
        ));
        assert!(matches!(
            scan_enrollment(b"not a picture at all", &settings),
            Err(ScanError::Picture(_))
        ));
    }
}
