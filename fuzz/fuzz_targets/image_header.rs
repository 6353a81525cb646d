//! The server's image check on any bytes, as either type: header bounds first, then a decode
//! under a memory limit (`media/src/image_check.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumbline_media::ImageType;
use plumbline_media::image_check;

fuzz_target!(|data: &[u8]| {
    let _ = ImageType::sniff(data);
    let _ = image_check::check(ImageType::Jpeg, data);
    let _ = image_check::check(ImageType::Png, data);
});
