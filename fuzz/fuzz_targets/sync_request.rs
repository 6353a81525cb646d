//! The sync endpoints' request bodies, as a phone (or anyone) sends them: postcard and JSON
//! into the request types, then every message as an automerge sync message and its changes
//! through the damaged-chunk check the server runs before applying anything.
#![no_main]

use automerge::sync;
use libfuzzer_sys::fuzz_target;
use plumbline_shared::api::{ManifestRequest, SyncRequest, from_postcard};
use plumbline_shared::doc::chunk::check_chunks;

fuzz_target!(|data: &[u8]| {
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
