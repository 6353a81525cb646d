//! QR codes the office web shows and prints: an enrollment link on the administrator's screen,
//! a case's address on its printed notice (so that someone holding the paper opens the case
//! with a phone's camera, signing in first like on any page). Medium error correction: a
//! folded or stamped sheet still scans.

use qrcode::render::svg;
use qrcode::{Color, EcLevel, QrCode};

/// Light modules around a code, as the standard asks.
const QUIET: u32 = 4;

/// The QR code of `text` as an inline `<svg>` element (no XML declaration).
pub fn qr_svg(text: &str) -> anyhow::Result<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("making a QR code of {} bytes: {e}", text.len()))?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(match image.find("<svg") {
        Some(at) => image[at..].to_owned(),
        None => image,
    })
}

/// The QR code of `text` as a grey-scale PNG, `scale` pixels a module, quiet zone included:
/// for a PDF, which draws images rather than SVG.
pub fn qr_png(text: &str, scale: u32) -> anyhow::Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("making a QR code of {} bytes: {e}", text.len()))?;
    let width = code.width() as u32;
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    let side = (width + 2 * QUIET) * scale;
    let image = image::GrayImage::from_fn(side, side, |px, py| {
        let (x, y) = (px / scale, py / scale);
        let inside = (QUIET..QUIET + width).contains(&x) && (QUIET..QUIET + width).contains(&y);
        let on = inside && dark[((y - QUIET) * width + (x - QUIET)) as usize];
        image::Luma([if on { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_code_is_square_with_its_quiet_zone() {
        let png = qr_png("https://p.example.com/cases/u/f", 3).unwrap();
        let image = image::load_from_memory(&png).unwrap();
        assert_eq!(image.width(), image.height());
        // Version 3 at least (29 modules) plus 8 quiet ones, 3 pixels each.
        assert!(image.width() >= (29 + 8) * 3, "{}", image.width());
        let grey = image.to_luma8();
        assert_eq!(grey.get_pixel(0, 0).0, [255], "the quiet zone is light");
        assert_eq!(
            grey.get_pixel(QUIET * 3, QUIET * 3).0,
            [0],
            "a finder pattern's corner"
        );
    }
}
