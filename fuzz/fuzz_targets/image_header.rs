//! The server's image check on any bytes, as either type: header bounds first, then a decode
//! under a memory limit (`sync-server/src/image_check.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumbline_sync_server::blobs::ImageType;
use plumbline_sync_server::image_check;

fuzz_target!(|data: &[u8]| {
    let _ = ImageType::sniff(data);
    let _ = image_check::check(ImageType::Jpeg, data);
    let _ = image_check::check(ImageType::Png, data);
});
