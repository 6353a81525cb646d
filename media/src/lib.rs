//! Plumbline's photos, on both sides of the sync.
//!
//! - [`capture`]: the phone's pipeline from a camera or gallery file to the evidence photo it
//!   keeps and uploads (decode within bounds, EXIF, orientation, resize, encode, hash), the
//!   enrollment QR code read from a picture, and the storage check before a capture.
//! - [`image_type`]: the two kinds of image the server keeps, told apart by their first bytes.
//! - [`image_check`]: what the server requires of an uploaded image before it keeps it, and the
//!   thumbnail it makes from it.
//!
//! Both sides' parsers of untrusted bytes live here, apart from the server and the app, so that
//! the fuzz targets build them (with coverage instrumentation) without building either.

pub mod capture;
pub mod image_check;
pub mod image_type;

pub use image_type::{ImageType, SNIFF_BYTES};
