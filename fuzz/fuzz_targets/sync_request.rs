//! The sync endpoints' request bodies, as a phone (or anyone) sends them: postcard and JSON
//! into the request types, then every message as an automerge sync message and its changes
//! through the damaged-chunk check the server runs before applying anything.
#![no_main]

use automerge::sync;
use libfuzzer_sys::fuzz_target;
use plumbline_shared::api::{ManifestRequest, SyncRequest, from_postcard};
use plumbline_shared::doc::chunk::check_chunks;

// libfuzzer-sys's panic hook aborts at any panic, even one the code under test catches on
// purpose: `check_chunks` turns a panic in automerge's decoder into a refusal. Replaced by a
// silent hook: a panic that is not caught still aborts (libfuzzer-sys catches the unwind and
// aborts) and leaves its input as a crash artifact; replay it through `check_chunks` in a test
// to read the message.
fuzz_target!(init: std::panic::set_hook(Box::new(|_| {})), |data: &[u8]| {
    let _ = from_postcard::<ManifestRequest>(data);
    let _ = serde_json::from_slice::<ManifestRequest>(data);
    let requests = [
        from_postcard::<SyncRequest>(data).ok(),
        serde_json::from_slice::<SyncRequest>(data).ok(),
    ];
    for request in requests.into_iter().flatten() {
        for m in &request.messages {
            if let Ok(message) = sync::Message::decode(&m.message) {
                let _ = check_chunks(message.changes.iter());
            }
        }
    }
});
