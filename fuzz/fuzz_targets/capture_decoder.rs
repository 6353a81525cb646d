//! The phone's capture pipeline on a camera or gallery file: sniff, decode within bounds, EXIF,
//! orientation, resize and encode (`media/src/capture`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumbline_media::capture::{CaptureSettings, process};
use plumbline_shared::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let _ = process(
        data,
        &CaptureSettings::default(),
        Timestamp(1_795_741_200_000),
    );
});
