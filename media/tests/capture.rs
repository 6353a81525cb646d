//! The evidence capture pipeline on photos made here: sizes, orientation, capture time,
//! refused files, and the bounds evidence must meet.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use plumbline_media::capture::{
    self, CaptureError, CaptureSettings, CaptureTimeSource, Captured, GpsFix,
};
use plumbline_shared::doc::evidence::{EvidenceKind, EvidenceRef, MAX_EVIDENCE_BYTES};
use plumbline_shared::ids::{BlobHash, DeviceId, UserId};
use plumbline_shared::time::Timestamp;

/// 2026-11-27T02:00:00Z.
const NOW: Timestamp = Timestamp(1_795_744_800_000);

/// A photo-like test pattern: gradients and a checkerboard, so the JPEGs are not trivial.
fn pattern(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let check = if (x / 16 + y / 16) % 2 == 0 { 40 } else { 0 };
            pixels.extend_from_slice(&[
                (x * 200 / width) as u8 + check,
                (y * 200 / height) as u8 + check,
                ((x ^ y) & 0x7f) as u8,
            ]);
        }
    }
    pixels
}

/// Encodes `pixels` as a JPEG, with an EXIF block when `exif` is given.
fn jpeg_from(pixels: &[u8], width: u32, height: u32, exif: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    if let Some(exif) = exif {
        encoder.add_exif_metadata(exif).expect("small EXIF block");
    }
    encoder
        .encode(
            pixels,
            width.try_into().expect("test sizes fit u16"),
            height.try_into().expect("test sizes fit u16"),
            jpeg_encoder::ColorType::Rgb,
        )
        .expect("encode test JPEG");
    out
}

fn jpeg(width: u32, height: u32, exif: Option<&[u8]>) -> Vec<u8> {
    jpeg_from(&pattern(width, height), width, height, exif)
}

/// An EXIF block (a TIFF structure, as a JPEG's APP1 holds it) with these fields.
fn exif_block(fields: &[Field]) -> Vec<u8> {
    let mut writer = Writer::new();
    for field in fields {
        writer.push_field(field);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, false).expect("write EXIF");
    out.into_inner()
}

fn field(tag: Tag, value: Value) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    }
}

fn ascii(text: &str) -> Value {
    Value::Ascii(vec![text.as_bytes().to_vec()])
}

fn process(bytes: &[u8]) -> Result<Captured, CaptureError> {
    capture::process(bytes, &CaptureSettings::default(), NOW)
}

/// Reads back a produced JPEG: its size and its pixels (RGB).
fn decode(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder.decode().expect("our output decodes");
    let info = decoder.info().expect("decoded");
    assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    assert!(decoder.exif_data().is_none(), "EXIF is not carried over");
    (u32::from(info.width), u32::from(info.height), pixels)
}

fn pixel(image: &(u32, u32, Vec<u8>), x: u32, y: u32) -> [u8; 3] {
    let at = (y as usize * image.0 as usize + x as usize) * 3;
    [image.2[at], image.2[at + 1], image.2[at + 2]]
}

/// Settings at an eighth of the real sizes: the same code paths at a sixtieth of the work
/// (these tests run unoptimised).
fn small_settings() -> CaptureSettings {
    CaptureSettings {
        max_edge: 256,
        thumb_edge: 64,
        ..CaptureSettings::default()
    }
}

/// RGB pixels of a `w`×`h` picture whose left half is red and right half blue: easy to check
/// after resizing and rotating.
fn red_left_blue_right(w: u32, h: u32) -> Vec<u8> {
    (0..h)
        .flat_map(|_| {
            (0..w).flat_map(move |x| {
                if x < w / 2 {
                    [220, 30, 30]
                } else {
                    [30, 30, 220]
                }
            })
        })
        .collect()
}

#[test]
fn large_photo_is_downscaled_to_2048_on_the_long_edge_keeping_its_aspect() {
    let photo = process(&jpeg(2100, 1200, None)).expect("process");
    assert_eq!((photo.width, photo.height), (2048, 1170));
    assert_eq!((photo.source_width, photo.source_height), (2100, 1200));
    let (w, h, _) = decode(&photo.display_jpeg);
    assert_eq!((w, h), (2048, 1170));
    assert_eq!((photo.thumb_width, photo.thumb_height), (320, 183));
    let (w, h, _) = decode(&photo.thumb_jpeg);
    assert_eq!((w, h), (320, 183));
}

#[test]
fn photo_over_twice_the_display_size_is_shrunk_on_load_then_resized() {
    // 1,100 px against 256: decoded at 1/4 (275 px), then resized to exactly 256.
    let settings = small_settings();
    let photo = capture::process(&jpeg(1100, 550, None), &settings, NOW).expect("process");
    assert_eq!((photo.width, photo.height), (256, 128));
    assert_eq!((photo.thumb_width, photo.thumb_height), (64, 32));
    let photo = capture::process(&jpeg(650, 1100, None), &settings, NOW).expect("process");
    assert_eq!((photo.width, photo.height), (151, 256));
    assert_eq!((photo.source_width, photo.source_height), (650, 1100));
}

#[test]
fn downscaled_photo_keeps_the_picture() {
    // Left half red, right half blue: still so after shrink-on-load and resizing.
    let (w, h) = (1100, 550);
    let pixels = red_left_blue_right(w, h);
    let photo =
        capture::process(&jpeg_from(&pixels, w, h, None), &small_settings(), NOW).expect("process");
    let out = decode(&photo.display_jpeg);
    assert_eq!((out.0, out.1), (256, 128));
    let [r, _, b] = pixel(&out, 30, 64);
    assert!(r > 180 && b < 70, "left is red: {r} {b}");
    let [r, _, b] = pixel(&out, 226, 64);
    assert!(r < 70 && b > 180, "right is blue: {r} {b}");
}

#[test]
fn small_photo_is_not_upscaled() {
    let photo = process(&jpeg(800, 600, None)).expect("process");
    assert_eq!((photo.width, photo.height), (800, 600));
    assert_eq!((photo.thumb_width, photo.thumb_height), (320, 240));
    let tiny = process(&jpeg(200, 100, None)).expect("process");
    assert_eq!((tiny.width, tiny.height), (200, 100));
    assert_eq!((tiny.thumb_width, tiny.thumb_height), (200, 100));
}

#[test]
fn exif_orientation_6_is_applied() {
    // Stored 600 × 400 with the left half red: "rotate 90° clockwise to view" puts red on top.
    let (w, h) = (600, 400);
    let pixels = red_left_blue_right(w, h);
    let exif = exif_block(&[field(Tag::Orientation, Value::Short(vec![6]))]);
    let photo = process(&jpeg_from(&pixels, w, h, Some(&exif))).expect("process");
    assert_eq!((photo.width, photo.height), (400, 600));
    assert_eq!((photo.source_width, photo.source_height), (400, 600));
    assert_eq!((photo.thumb_width, photo.thumb_height), (213, 320));
    let out = decode(&photo.display_jpeg);
    assert_eq!((out.0, out.1), (400, 600));
    let [r, _, b] = pixel(&out, 200, 100);
    assert!(r > 180 && b < 70, "top is red: {r} {b}");
    let [r, _, b] = pixel(&out, 200, 500);
    assert!(r < 70 && b > 180, "bottom is blue: {r} {b}");
    let thumb = decode(&photo.thumb_jpeg);
    assert_eq!((thumb.0, thumb.1), (213, 320));
}

#[test]
fn capture_time_comes_from_exif_in_the_configured_zone_else_now() {
    let exif = exif_block(&[field(Tag::DateTimeOriginal, ascii("2026:11:20 14:05:09"))]);
    let photo = process(&jpeg(640, 480, Some(&exif))).expect("process");
    assert_eq!(photo.captured_at_source, CaptureTimeSource::Exif);
    // No offset in the photo: read as China Standard Time, the default.
    assert_eq!(photo.captured_at.to_string(), "2026-11-20T06:05:09.000Z");

    let utc = CaptureSettings {
        exif_utc_offset_minutes: 0,
        ..CaptureSettings::default()
    };
    let photo = capture::process(&jpeg(640, 480, Some(&exif)), &utc, NOW).expect("process");
    assert_eq!(photo.captured_at.to_string(), "2026-11-20T14:05:09.000Z");

    let exif = exif_block(&[
        field(Tag::DateTimeOriginal, ascii("2026:11:20 14:05:09")),
        field(Tag::SubSecTimeOriginal, ascii("250")),
        field(Tag::OffsetTimeOriginal, ascii("+02:00")),
    ]);
    let photo = process(&jpeg(640, 480, Some(&exif))).expect("process");
    assert_eq!(photo.captured_at.to_string(), "2026-11-20T12:05:09.250Z");

    let photo = process(&jpeg(640, 480, None)).expect("process");
    assert_eq!(
        (photo.captured_at, photo.captured_at_source),
        (NOW, CaptureTimeSource::Now)
    );

    // A camera clock a year ahead is not believed.
    let exif = exif_block(&[field(Tag::DateTimeOriginal, ascii("2027:11:20 14:05:09"))]);
    let photo = process(&jpeg(640, 480, Some(&exif))).expect("process");
    assert_eq!(photo.captured_at_source, CaptureTimeSource::Now);
}

#[test]
fn gps_position_is_read_from_exif() {
    let dms = |d: u32, m: u32, s_hundredths: u32| {
        Value::Rational(vec![
            Rational::from((d, 1)),
            Rational::from((m, 1)),
            Rational::from((s_hundredths, 100)),
        ])
    };
    let exif = exif_block(&[
        field(Tag::GPSLatitudeRef, ascii("N")),
        field(Tag::GPSLatitude, dms(31, 13, 4_800)),
        field(Tag::GPSLongitudeRef, ascii("E")),
        field(Tag::GPSLongitude, dms(121, 28, 3_000)),
        field(
            Tag::GPSHPositioningError,
            Value::Rational(vec![Rational::from((8, 1))]),
        ),
    ]);
    let photo = process(&jpeg(320, 240, Some(&exif))).expect("process");
    let GpsFix {
        lat,
        lon,
        accuracy_m,
    } = photo.gps.expect("a position");
    assert!((lat - 31.23).abs() < 1e-9, "{lat}");
    assert!((lon - 121.475).abs() < 1e-9, "{lon}");
    assert_eq!(accuracy_m, Some(8.0));

    let exif = exif_block(&[
        field(Tag::GPSLatitudeRef, ascii("S")),
        field(Tag::GPSLatitude, dms(33, 52, 0)),
        field(Tag::GPSLongitudeRef, ascii("W")),
        field(Tag::GPSLongitude, dms(70, 30, 0)),
    ]);
    let gps = process(&jpeg(320, 240, Some(&exif)))
        .expect("process")
        .gps
        .expect("a position");
    assert!(gps.lat < -33.0 && gps.lon < -70.0 && gps.accuracy_m.is_none());
    assert_eq!(gps.to_location(25.0).accuracy_m, 25.0);
}

#[test]
fn hashes_are_blake3_of_the_output_and_the_output_is_valid_evidence() {
    let photo = process(&jpeg(1000, 700, None)).expect("process");
    assert_eq!(photo.hash, BlobHash::of(&photo.display_jpeg));
    assert_eq!(photo.thumb_hash, BlobHash::of(&photo.thumb_jpeg));
    assert!(photo.thumb_width.max(photo.thumb_height) <= 320);
    assert!((photo.display_jpeg.len() as u64) < MAX_EVIDENCE_BYTES);
    let evidence = EvidenceRef {
        hash: photo.hash.clone(),
        kind: EvidenceKind::Photo,
        bytes: photo.display_jpeg.len() as u64,
        width: photo.width,
        height: photo.height,
        captured_at: photo.captured_at,
        device: DeviceId::new("dev-1").expect("id"),
        author: UserId::new("inspector-1").expect("id"),
        location: None,
        pin: None,
        thumbnail: None,
    };
    evidence.validate().expect("valid evidence");
    // Same bytes in, same bytes out: a retried capture names the same blob.
    assert_eq!(
        process(&jpeg(1000, 700, None)).expect("process").hash,
        photo.hash
    );
}

#[test]
fn png_with_transparency_is_flattened_and_downscaled() {
    let mut image = image::RgbaImage::new(600, 200);
    for (x, _, p) in image.enumerate_pixels_mut() {
        *p = if x < 300 {
            image::Rgba([0, 0, 0, 0])
        } else {
            image::Rgba([20, 120, 40, 255])
        };
    }
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode PNG");
    let photo = capture::process(&png, &small_settings(), NOW).expect("process");
    assert_eq!((photo.width, photo.height), (256, 85));
    let out = decode(&photo.display_jpeg);
    assert!(
        pixel(&out, 30, 40).iter().all(|&c| c > 240),
        "transparent is white"
    );
    let [r, g, b] = pixel(&out, 226, 40);
    assert!(
        g > 100 && r < 50 && b < 60,
        "opaque green stays: {r} {g} {b}"
    );
    assert_eq!(photo.captured_at_source, CaptureTimeSource::Now);
}

#[test]
fn heic_gets_a_message_that_says_what_to_do() {
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.extend_from_slice(&[0; 64]);
    let err = process(&heic).expect_err("HEIC is not decoded");
    assert!(matches!(err, CaptureError::Heic));
    assert_eq!(
        err.to_string(),
        "this photo is in HEIC format, which Plumbline cannot read yet; set the camera to \
         'Most Compatible' (JPEG) or share it as JPEG"
    );
}

#[test]
fn random_bytes_and_empty_files_are_not_images() {
    // A fixed xorshift stream: no dependency, same bytes every run.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..10_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for bytes in [&noise[..], b"", b"%PDF-1.7\n"] {
        let err = process(bytes).expect_err("not an image");
        assert!(matches!(err, CaptureError::NotAnImage), "{err}");
        assert!(err.to_string().contains("not a photo"), "{err}");
    }
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    // A PNG that claims 100,000 × 100,000 px (30 GB of pixels): only its header exists.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&100_000u32.to_be_bytes());
    png.extend_from_slice(&100_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let err = process(&png).expect_err("bomb");
    assert!(
        matches!(
            err,
            CaptureError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("10000 MP"), "{err}");

    // A real 64 × 64 JPEG whose frame header is edited to claim 60,000 × 60,000 px.
    let mut bomb = jpeg(64, 64, None);
    let sof = bomb
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("baseline frame header");
    bomb[sof + 5..sof + 9].copy_from_slice(&[0xea, 0x60, 0xea, 0x60]);
    let err = process(&bomb).expect_err("bomb");
    assert!(
        matches!(
            err,
            CaptureError::TooManyPixels {
                width: 60_000,
                height: 60_000,
                ..
            }
        ),
        "{err}"
    );

    // The limit is a setting: a 12 MP photo against a 10 MP limit.
    let strict = CaptureSettings {
        max_input_pixels: 10_000_000,
        ..CaptureSettings::default()
    };
    let mut header_only = jpeg(64, 64, None);
    header_only[sof + 5..sof + 9].copy_from_slice(&[0x0b, 0xb8, 0x0f, 0xa0]); // 3000 × 4000
    let err = capture::process(&header_only, &strict, NOW).expect_err("over the limit");
    assert!(
        err.to_string()
            .contains("set the camera to a lower resolution"),
        "{err}"
    );
}

#[test]
fn truncated_and_damaged_photos_are_corrupt() {
    let whole = jpeg(640, 480, None);
    let err = process(&whole[..whole.len() / 2]).expect_err("truncated");
    assert!(matches!(err, CaptureError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("damaged or incomplete"), "{err}");

    let err = process(&whole[..40]).expect_err("header only");
    assert!(matches!(err, CaptureError::Corrupt { .. }), "{err}");

    let mut png = Vec::new();
    image::RgbImage::new(64, 64)
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode PNG");
    let err = process(&png[..png.len() - 30]).expect_err("truncated PNG");
    assert!(matches!(err, CaptureError::Corrupt { .. }), "{err}");
}

#[test]
fn files_over_the_size_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("IMG_0001.JPG");
    std::fs::write(&path, jpeg(640, 480, None)).expect("write");
    let small = CaptureSettings {
        max_input_bytes: 1_000,
        ..CaptureSettings::default()
    };
    let err = capture::process_file(&path, &small, NOW).expect_err("too large");
    assert!(matches!(err, CaptureError::FileTooLarge { .. }), "{err}");
    assert!(matches!(
        capture::process(&jpeg(640, 480, None), &small, NOW),
        Err(CaptureError::FileTooLarge { .. })
    ));

    let photo =
        capture::process_file(&path, &CaptureSettings::default(), NOW).expect("process file");
    assert_eq!((photo.width, photo.height), (640, 480));

    let err =
        capture::process_file(&dir.path().join("missing.jpg"), &small, NOW).expect_err("missing");
    assert!(matches!(err, CaptureError::Io { .. }), "{err}");
    assert!(err.to_string().contains("missing.jpg"), "{err}");
}
