//! A units CSV as an administrator uploads it (or a file someone else made): the text
//! decoding, then the parse against the demo project.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use plumbline_shared::demo::demo_project;
use plumbline_shared::project::Project;
use plumbline_shared::time::Timestamp;
use plumbline_shared::units_csv;

static PROJECT: LazyLock<Project> = LazyLock::new(|| {
    demo_project(Timestamp(1_795_741_200_000).date_cst()).expect("the demo project")
});

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = units_csv::decode(data) {
        let _ = units_csv::parse_units_csv(&PROJECT, text);
    }
});
