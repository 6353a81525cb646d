//! What the server checks when an upload completes: the declared type (from a Content-Type
//! header), the sniffed type of the bytes, and the image header and decode within bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumbline_media::ImageType;
use plumbline_media::image_check;

fuzz_target!(|data: &[u8]| {
    // The first line as the Content-Type a device declared, the rest as the blob's bytes.
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(0);
    let (header, bytes) = data.split_at(split);
    let bytes = bytes.get(1..).unwrap_or_default();
    let declared = std::str::from_utf8(header)
        .ok()
        .and_then(ImageType::from_content_type);
    let sniffed = ImageType::sniff(bytes);
    if let (Some(d), Some(s)) = (declared, sniffed)
        && d == s
    {
        let _ = image_check::check(d, bytes);
    }
});
