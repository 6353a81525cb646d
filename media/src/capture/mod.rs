//! Evidence capture: a camera or gallery file in, the photo that becomes evidence out.
//!
//! [`process`] turns the bytes of a photo into a [`Captured`]: the **display image** (a JPEG of
//! at most [`CaptureSettings::max_edge`] pixels on the long edge, upright, without EXIF: what is
//! hashed, uploaded and named by its [`BlobHash`]), a **thumbnail** for lists, and what the
//! evidence keeps from the original's EXIF (capture time, GPS position), because re-encoding
//! drops it. It is a pure function of the bytes, the [`CaptureSettings`] and "now": the engine
//! reads the file and writes the results ([`process_file`] is the bounded read for callers that
//! have a path). Before a capture the engine asks [`storage`] whether the device has room.
//!
//! The steps, and why they are in this order:
//!
//! 1. **Sniff** the format from the first bytes. HEIC (what iPhones write by default) and the
//!    other formats we do not decode get a message that says what to do, not a decoder error.
//! 2. **Bound** the work before any pixel is decoded: the file size
//!    ([`CaptureSettings::max_input_bytes`]) and the pixel count from the header
//!    ([`CaptureSettings::max_input_pixels`]). A decompression bomb (a small file that claims
//!    100,000 × 100,000 px) is refused here, having allocated nothing.
//! 3. **Decode, shrunk on load.** A JPEG's 8 × 8 DCT blocks can be decoded straight to 1/2,
//!    1/4 or 1/8 scale; we decode at the smallest scale that still covers the display size
//!    (the trick libvips calls shrink-on-load), which cuts the memory by 4× or more and skips
//!    most of the inverse DCT. PNG has no such trick and is decoded whole.
//! 4. **Resize** to the display size with Lanczos3 (`fast_image_resize`, SIMD). On a 17.9 MP
//!    camera photo the result is 47 dB PSNR from a full-size decode resized the same way:
//!    the shortcut costs no visible quality.
//! 5. **Orient** by the EXIF orientation, after resizing, so the rotation moves 2 MP, not 18.
//! 6. **Thumbnail** from the display image, not from the original: resizing 2 MP is cheap.
//! 7. **Encode** both as baseline JPEG (`jpeg-encoder`, 4:2:0 with averaged chroma like
//!    libjpeg) and hash the display JPEG with BLAKE3.
//!
//! On a 17.9 MP camera photo the whole pipeline takes about half the time libvips'
//! `vipsthumbnail` needs to make the same two images (it decodes the file once for both, and
//! decoding is 80% of the work); `docs/benchmarks.md` has the figures.
//!
//! ```no_run
//! use plumbline_media::capture::{self, CaptureSettings};
//! use plumbline_shared::time::Timestamp;
//!
//! let settings = CaptureSettings::default();
//! let now = Timestamp(1_795_000_000_000);
//! let photo = capture::process_file("IMG_0001.JPG".as_ref(), &settings, now)?;
//! assert!(photo.width.max(photo.height) <= settings.max_edge);
//! println!("{} taken at {} ({:?})", photo.hash, photo.captured_at, photo.captured_at_source);
//! # Ok::<(), capture::CaptureError>(())
//! ```

mod decode;
mod metadata;
pub mod qr;
pub mod storage;

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fast_image_resize as fir;
use image::DynamicImage;
use image::metadata::Orientation;
use plumbline_shared::doc::evidence::{Location, MAX_EVIDENCE_EDGE_PX};
use plumbline_shared::ids::BlobHash;
use plumbline_shared::time::Timestamp;

pub use storage::{StoragePolicy, StorageStatus, free_bytes, storage_check};

const MIB: u64 = 1024 * 1024;

/// How photos are processed. [`Default`] is what the app uses; tests and the benchmark change
/// single fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSettings {
    /// Longest edge of the display image, in pixels (2,048: sharp on a tablet or a printed
    /// report page, about 0.7 MB as JPEG). Smaller photos are not upscaled.
    pub max_edge: u32,
    /// Longest edge of the thumbnail, in pixels (320).
    pub thumb_edge: u32,
    /// JPEG quality of both images, 1–100, on libjpeg's scale (80).
    pub jpeg_quality: u8,
    /// Largest file accepted, in bytes (64 MiB: a 50 MP camera JPEG is about 25 MB).
    pub max_input_bytes: u64,
    /// Largest image accepted, in pixels as the file's header states them (50 million: phones'
    /// 48 MP sensors fit). Decoding needs memory in proportion (a progressive JPEG keeps
    /// 3–6 bytes of coefficients a pixel until its last scan, a PNG 3–8 bytes of pixels), so
    /// this is the memory bound too; a shrunk-on-load baseline JPEG needs far less.
    pub max_input_pixels: u64,
    /// The UTC offset of the camera's clock, in minutes, for EXIF times that do not state
    /// their own. EXIF's `DateTimeOriginal` is the camera's wall-clock time with no zone;
    /// phones since about 2019 add `OffsetTimeOriginal`, which is used when present. The
    /// default is +08:00, China Standard Time, where Plumbline's projects are (all year, no
    /// daylight saving); the engine passes the device's current offset when it knows it.
    pub exif_utc_offset_minutes: i32,
}

impl Default for CaptureSettings {
    fn default() -> Self {
        Self {
            max_edge: 2_048,
            thumb_edge: 320,
            jpeg_quality: 80,
            max_input_bytes: 64 * MIB,
            max_input_pixels: 50_000_000,
            exif_utc_offset_minutes: 8 * 60,
        }
    }
}

impl CaptureSettings {
    fn check(&self) -> Result<(), CaptureError> {
        let bad = |why: String| Err(CaptureError::Settings(why));
        if !(1..=MAX_EVIDENCE_EDGE_PX).contains(&self.max_edge) {
            return bad(format!(
                "max_edge is {}; it must be between 1 and {MAX_EVIDENCE_EDGE_PX} px",
                self.max_edge
            ));
        }
        if !(1..=self.max_edge).contains(&self.thumb_edge) {
            return bad(format!(
                "thumb_edge is {}; it must be between 1 and max_edge ({})",
                self.thumb_edge, self.max_edge
            ));
        }
        if !(1..=100).contains(&self.jpeg_quality) {
            return bad(format!(
                "jpeg_quality is {}; it must be between 1 and 100",
                self.jpeg_quality
            ));
        }
        if self.exif_utc_offset_minutes.abs() > 14 * 60 {
            return bad(format!(
                "exif_utc_offset_minutes is {}; UTC offsets are within ±14 hours",
                self.exif_utc_offset_minutes
            ));
        }
        Ok(())
    }
}

/// Where [`Captured::captured_at`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureTimeSource {
    /// The photo's EXIF `DateTimeOriginal` (or `DateTimeDigitized`).
    Exif,
    /// The moment of processing: the photo had no usable EXIF time (screenshots, photos sent
    /// through chat apps, which strip EXIF), or a time later than now (a wrong camera clock).
    Now,
}

/// A GPS position from the photo's EXIF.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GpsFix {
    /// Latitude in degrees, north positive.
    pub lat: f64,
    /// Longitude in degrees, east positive.
    pub lon: f64,
    /// Horizontal accuracy in metres (`GPSHPositioningError`), when the camera wrote it.
    pub accuracy_m: Option<f64>,
}

impl GpsFix {
    /// The position as the evidence stores it, with `assumed_accuracy_m` where the camera did
    /// not say how accurate it was (many Android cameras do not).
    pub fn to_location(self, assumed_accuracy_m: f64) -> Location {
        Location {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m.unwrap_or(assumed_accuracy_m),
        }
    }
}

/// A processed photo: what the engine writes to disk and references from the document.
#[derive(Clone, PartialEq)]
pub struct Captured {
    /// The display image: JPEG, upright, no EXIF. This is the evidence blob.
    pub display_jpeg: Vec<u8>,
    /// BLAKE3 of `display_jpeg`: the blob's name.
    pub hash: BlobHash,
    /// Pixel width of the display image.
    pub width: u32,
    /// Pixel height of the display image.
    pub height: u32,
    /// The thumbnail: JPEG, upright, at most [`CaptureSettings::thumb_edge`] px.
    pub thumb_jpeg: Vec<u8>,
    /// BLAKE3 of `thumb_jpeg`.
    pub thumb_hash: BlobHash,
    /// Pixel width of the thumbnail.
    pub thumb_width: u32,
    /// Pixel height of the thumbnail.
    pub thumb_height: u32,
    /// Width of the original, upright.
    pub source_width: u32,
    /// Height of the original, upright.
    pub source_height: u32,
    /// When the photo was taken (see [`CaptureTimeSource`]).
    pub captured_at: Timestamp,
    /// Whether `captured_at` came from the photo or from the clock.
    pub captured_at_source: CaptureTimeSource,
    /// Where, when the photo's EXIF had a GPS position.
    pub gps: Option<GpsFix>,
}

// By hand: the derived Debug would print every byte of both JPEGs.
impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Captured")
            .field("hash", &self.hash)
            .field("display", &format_args!("{}×{}", self.width, self.height))
            .field("display_bytes", &self.display_jpeg.len())
            .field(
                "thumb",
                &format_args!("{}×{}", self.thumb_width, self.thumb_height),
            )
            .field("thumb_bytes", &self.thumb_jpeg.len())
            .field(
                "source",
                &format_args!("{}×{}", self.source_width, self.source_height),
            )
            .field("captured_at", &self.captured_at)
            .field("captured_at_source", &self.captured_at_source)
            .field("gps", &self.gps)
            .finish()
    }
}

/// Why a photo could not be captured. The messages are shown to the inspector as they are.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The bytes are no image format we know (or are empty).
    #[error(
        "this file is not a photo Plumbline can read (not a JPEG or PNG image); choose a photo \
         from the camera or the gallery"
    )]
    NotAnImage,
    /// HEIC/HEIF, what iPhones (and some Android phones) write by default.
    #[error(
        "this photo is in HEIC format, which Plumbline cannot read yet; set the camera to \
         'Most Compatible' (JPEG) or share it as JPEG"
    )]
    Heic,
    /// An image format, or a JPEG variant, that Plumbline does not decode.
    #[error("this image is {format}, which Plumbline cannot read; share it as a JPEG photo")]
    UnsupportedFormat {
        /// What it is, for the message ("a WebP image", "an arithmetic-coded JPEG").
        format: String,
    },
    /// The file is larger than [`CaptureSettings::max_input_bytes`].
    #[error(
        "the file is {} MiB; Plumbline reads photos up to {} MiB: take the photo with the \
         camera's normal settings",
        .bytes.div_ceil(MIB), .max_bytes / MIB
    )]
    FileTooLarge {
        /// The file's size.
        bytes: u64,
        /// The limit.
        max_bytes: u64,
    },
    /// The header states more pixels than [`CaptureSettings::max_input_pixels`]: a very high
    /// resolution, or a decompression bomb.
    #[error(
        "the photo is {width} × {height} px ({} MP); Plumbline reads photos up to {} MP: set \
         the camera to a lower resolution (12 MP is plenty for evidence)",
        (*.width as u64 * *.height as u64).div_ceil(1_000_000), .max_pixels / 1_000_000
    )]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// The limit.
        max_pixels: u64,
    },
    /// The image is damaged or cut short.
    #[error(
        "the photo could not be read ({reason}); the file is damaged or incomplete: take the \
         photo again, or copy the file again"
    )]
    Corrupt {
        /// The decoder's words.
        reason: String,
    },
    /// [`process_file`] could not read the file.
    #[error("could not read the photo {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The [`CaptureSettings`] are out of range (a programming error, not the photo's fault).
    #[error("invalid capture settings: {0}")]
    Settings(String),
    /// Encoding the JPEG failed (cannot happen with valid settings; kept rather than panic).
    #[error("could not encode the processed photo as JPEG: {0}")]
    Encode(String),
}

/// Processes the bytes of a camera or gallery file into the display image, its thumbnail and
/// the metadata the evidence keeps. See the [module docs](self) for the steps. Pure: no I/O, no
/// clock (`now` is the capture moment, used when the photo has no usable EXIF time).
pub fn process(
    bytes: &[u8],
    settings: &CaptureSettings,
    now: Timestamp,
) -> Result<Captured, CaptureError> {
    settings.check()?;
    let started = Instant::now();
    if bytes.len() as u64 > settings.max_input_bytes {
        return Err(CaptureError::FileTooLarge {
            bytes: bytes.len() as u64,
            max_bytes: settings.max_input_bytes,
        });
    }
    let format = decode::sniff(bytes)?;
    let decoded = decode::decode(bytes, format, settings)?;
    let decoded_at = started.elapsed();
    let meta = metadata::read(decoded.exif);
    let orientation = Orientation::from_exif(meta.orientation).unwrap_or(Orientation::NoTransforms);
    let swaps_sides = matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    );

    // The display size comes from the original's size, not the shrunk decode's: the decoder
    // rounds each side up to whole pixels, and the aspect ratio is the original's.
    let (w, h) = fit(
        decoded.source_width,
        decoded.source_height,
        settings.max_edge,
    );
    let (decoded_width, decoded_height) = (decoded.image.width, decoded.image.height);
    let display = resize(&decoded.image, w, h)?.unwrap_or(decoded.image);
    let display = orient(display, orientation);
    let (tw, th) = fit(display.width, display.height, settings.thumb_edge);
    let thumb = resize(&display, tw, th)?;
    let thumb = thumb.as_ref().unwrap_or(&display);
    let resized_at = started.elapsed();

    let display_jpeg = encode(&display, settings.jpeg_quality)?;
    let thumb_jpeg = encode(thumb, settings.jpeg_quality)?;
    let (captured_at, captured_at_source) =
        metadata::capture_time(meta.taken.as_ref(), settings.exif_utc_offset_minutes, now);
    let (source_width, source_height) = if swaps_sides {
        (decoded.source_height, decoded.source_width)
    } else {
        (decoded.source_width, decoded.source_height)
    };
    let captured = Captured {
        hash: BlobHash::of(&display_jpeg),
        display_jpeg,
        width: display.width,
        height: display.height,
        thumb_hash: BlobHash::of(&thumb_jpeg),
        thumb_jpeg,
        thumb_width: thumb.width,
        thumb_height: thumb.height,
        source_width,
        source_height,
        captured_at,
        captured_at_source,
        gps: meta.gps,
    };
    tracing::debug!(
        format = format.name(),
        source = %format_args!("{source_width}×{source_height}"),
        decoded = %format_args!("{decoded_width}×{decoded_height}"),
        display = %format_args!("{}×{}", captured.width, captured.height),
        display_bytes = captured.display_jpeg.len(),
        decode_ms = decoded_at.as_millis() as u64,
        resize_ms = (resized_at - decoded_at).as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "photo processed"
    );
    Ok(captured)
}

/// Reads a photo file, refusing one larger than [`CaptureSettings::max_input_bytes`] before
/// reading it, and [`process`]es it.
pub fn process_file(
    path: &Path,
    settings: &CaptureSettings,
    now: Timestamp,
) -> Result<Captured, CaptureError> {
    let io_error = |source| CaptureError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    if len > settings.max_input_bytes {
        return Err(CaptureError::FileTooLarge {
            bytes: len,
            max_bytes: settings.max_input_bytes,
        });
    }
    // `take` guards against a file that grows between the size check and the read; the
    // capacity is a hint only and stays within the limit.
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(settings.max_input_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    process(&bytes, settings, now)
}

/// An RGB image, 3 bytes per pixel, rows top to bottom.
struct Rgb {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

/// The size of `width × height` scaled to fit `max_edge` on its long edge, aspect kept,
/// never enlarged, never below 1 px.
fn fit(width: u32, height: u32, max_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max_edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(max_edge).clamp(1, max_edge)
    };
    if width >= height {
        (max_edge, scale(height))
    } else {
        (scale(width), max_edge)
    }
}

/// Resizes with Lanczos3, the filter libvips uses for `vipsthumbnail`; `None` when `image`
/// already has the size.
fn resize(image: &Rgb, width: u32, height: u32) -> Result<Option<Rgb>, CaptureError> {
    if (image.width, image.height) == (width, height) {
        return Ok(None);
    }
    let internal = |e: &dyn std::error::Error| CaptureError::Encode(format!("resizing: {e}"));
    let src = fir::images::ImageRef::new(
        image.width,
        image.height,
        &image.pixels,
        fir::PixelType::U8x3,
    )
    .map_err(|e| internal(&e))?;
    let mut dst = fir::images::Image::new(width, height, fir::PixelType::U8x3);
    let options = fir::ResizeOptions::new()
        .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3));
    fir::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| internal(&e))?;
    Ok(Some(Rgb {
        width,
        height,
        pixels: dst.into_vec(),
    }))
}

/// Turns the pixels upright as the EXIF orientation says.
fn orient(image: Rgb, orientation: Orientation) -> Rgb {
    if orientation == Orientation::NoTransforms {
        return image;
    }
    let buffer = image::RgbImage::from_raw(image.width, image.height, image.pixels)
        .expect("an Rgb holds exactly width × height × 3 bytes");
    let mut dynamic = DynamicImage::ImageRgb8(buffer);
    dynamic.apply_orientation(orientation);
    let buffer = dynamic.into_rgb8();
    Rgb {
        width: buffer.width(),
        height: buffer.height(),
        pixels: buffer.into_raw(),
    }
}

/// Encodes baseline JPEG, 4:2:0 below quality 90 with libjpeg's averaged chroma (the
/// encoder's default takes one pixel of four, which frays coloured edges).
fn encode(image: &Rgb, quality: u8) -> Result<Vec<u8>, CaptureError> {
    // Both sides are at most MAX_EVIDENCE_EDGE_PX (checked settings, never upscaled).
    let side =
        |v: u32| u16::try_from(v).map_err(|_| CaptureError::Encode(format!("{v} px is too large")));
    let mut out = Vec::with_capacity(image.pixels.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    encoder
        .encode(
            &image.pixels,
            side(image.width)?,
            side(image.height)?,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|e| CaptureError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit(5640, 3172, 2048), (2048, 1152));
        assert_eq!(fit(3172, 5640, 2048), (1152, 2048));
        assert_eq!(fit(2048, 1152, 320), (320, 180));
        assert_eq!(fit(800, 600, 2048), (800, 600));
        assert_eq!(fit(100_000, 1, 2048), (2048, 1));
        assert_eq!(fit(4096, 4096, 2048), (2048, 2048));
    }

    #[test]
    fn default_settings_are_valid_and_bad_ones_are_refused() {
        assert!(CaptureSettings::default().check().is_ok());
        for bad in [
            CaptureSettings {
                jpeg_quality: 0,
                ..CaptureSettings::default()
            },
            CaptureSettings {
                thumb_edge: 4096,
                ..CaptureSettings::default()
            },
            CaptureSettings {
                max_edge: 10_000,
                ..CaptureSettings::default()
            },
        ] {
            assert!(
                matches!(bad.check(), Err(CaptureError::Settings(_))),
                "{bad:?}"
            );
        }
    }
}
