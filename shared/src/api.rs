//! The sync wire types the app and the server share (API version 1, under `/api/v1`).
//!
//! A sync is two steps, designed so that a sync where nothing changed is one small round trip
//! whatever the number of documents:
//!
//! 1. **Manifest** ([`ManifestRequest`] → [`ManifestResponse`]): the device sends one
//!    [`HeadsDigest`] per document it holds, plus a digest of the whole list. The server
//!    answers with the documents whose heads differ from its own and the documents the device
//!    may read but does not have yet. The device may send the summary alone: when it matches
//!    the server's, nothing changed; when it matches the position the server remembers for
//!    the device (what it learnt from the device's last manifest and exchanges), the server
//!    answers from that; otherwise it asks for the entries ([`ManifestResponse::SendEntries`]).
//!    A device that edited documents pushes them first (step 2 without step 1); when the
//!    push's reply carries the server's summary ([`SyncResponse::summary`]) and it is the
//!    device's own, the manifest is skipped: a push is one round trip.
//! 2. **Exchange** ([`SyncRequest`] → [`SyncResponse`]): for the documents that differ,
//!    automerge's own sync messages, many documents per request, bounded by
//!    [`MAX_DOCS_PER_REQUEST`]. The reply carries the server's messages back and, per
//!    document, the change hashes now durably stored ([`DocAck`]): the only acknowledgement a
//!    device may act on (to show "synced", to let go of local photo copies). When the device's
//!    message shows it already holds exactly the server's heads, the server sends no sync
//!    message for that document: the acknowledgement says the same.
//!
//! Every request names its [`API_VERSION`]; a server refuses versions it does not speak with a
//! message that says to update the app.

use serde::{Deserialize, Serialize};

use crate::doc::DocId;
use crate::time::Timestamp;

/// The wire version these types describe.
pub const API_VERSION: u32 = 1;
/// Most documents one manifest may list.
pub const MAX_MANIFEST_DOCS: usize = 20_000;
/// Most documents one exchange request may carry.
pub const MAX_DOCS_PER_REQUEST: usize = 64;
/// Largest single automerge sync message accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// A BLAKE3 digest of a document's sorted heads (or of a whole manifest), 16 bytes: enough to
/// tell "same" from "different" without sending every 32-byte head. On the compact wire
/// (postcard) it is the 16 raw bytes; in JSON, 32 hex digits. A manifest of 240 documents is
/// mostly these, so the difference is a third of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HeadsDigest([u8; 16]);

impl Serialize for HeadsDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&String::from(*self))
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for HeadsDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            Self::try_from(text).map_err(serde::de::Error::custom)
        } else {
            Ok(Self(<[u8; 16]>::deserialize(d)?))
        }
    }
}

impl HeadsDigest {
    /// The digest of a document's heads (order does not matter).
    pub fn of_heads(heads: &[automerge::ChangeHash]) -> Self {
        let mut sorted: Vec<&automerge::ChangeHash> = heads.iter().collect();
        sorted.sort();
        let mut h = blake3::Hasher::new();
        for head in sorted {
            h.update(&head.0);
        }
        Self::truncate(h.finalize())
    }

    /// The digest of a whole manifest: every (document, digest) pair, sorted by document.
    pub fn of_manifest<'a>(
        entries: impl IntoIterator<Item = (&'a DocId, &'a HeadsDigest)>,
    ) -> Self {
        let mut sorted: Vec<(String, HeadsDigest)> = entries
            .into_iter()
            .map(|(d, h)| (d.to_string(), *h))
            .collect();
        sorted.sort();
        let mut h = blake3::Hasher::new();
        for (doc, digest) in sorted {
            h.update(doc.as_bytes());
            h.update(&[0]);
            h.update(&digest.0);
        }
        Self::truncate(h.finalize())
    }

    fn truncate(hash: blake3::Hash) -> Self {
        let mut out = [0; 16];
        out.copy_from_slice(&hash.as_bytes()[..16]);
        Self(out)
    }
}

impl TryFrom<String> for HeadsDigest {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let bad = || {
            format!(
                "heads digest `{}` is not 32 hex digits",
                s.chars().take(40).collect::<String>()
            )
        };
        if s.len() != 32 {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

impl From<HeadsDigest> for String {
    fn from(d: HeadsDigest) -> String {
        d.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Whether two head lists name the same changes, in any order (automerge returns heads
/// sorted, but a list that travelled may not be).
pub fn same_heads(a: &[automerge::ChangeHash], b: &[automerge::ChangeHash]) -> bool {
    a.len() == b.len() && a.iter().all(|h| b.contains(h))
}

/// One document in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The document.
    pub doc: DocId,
    /// The digest of the device's heads for it.
    pub heads: HeadsDigest,
}

/// Step 1, device → server: what the device holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRequest {
    /// Must be [`API_VERSION`].
    pub api_version: u32,
    /// The device's clock when it sent this, for measuring its skew.
    pub device_time: Timestamp,
    /// [`HeadsDigest::of_manifest`] over every document the device holds.
    pub summary: HeadsDigest,
    /// Per-document digests, or `None` to send only the summary first (when the device expects
    /// it to match). `Some(vec![])` means the device holds no documents.
    pub entries: Option<Vec<ManifestEntry>>,
}

/// Step 1, server → device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestResponse {
    /// The summary matches: nothing to do.
    InSync {
        /// The server's clock.
        server_time: Timestamp,
    },
    /// The summary differs from the server's and from the position the server remembers for
    /// the device, and the request had no entries (`None`): send them.
    SendEntries {
        /// The server's clock.
        server_time: Timestamp,
    },
    /// These documents need an exchange.
    Differs {
        /// The server's clock.
        server_time: Timestamp,
        /// Documents both sides hold with different heads, and documents only the device holds.
        changed: Vec<DocId>,
        /// Documents the device may read but does not hold.
        new_on_server: Vec<DocId>,
    },
}

/// One automerge sync message for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocMessage {
    /// The document.
    pub doc: DocId,
    /// `automerge::sync::Message::encode()` bytes.
    #[serde(with = "serde_bytes")]
    pub message: Vec<u8>,
}

/// Step 2, device → server: sync messages for up to [`MAX_DOCS_PER_REQUEST`] documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Must be [`API_VERSION`].
    pub api_version: u32,
    /// The device's clock when it sent this, for measuring its skew.
    pub device_time: Timestamp,
    /// One message per document.
    pub messages: Vec<DocMessage>,
}

/// What the server durably holds of one document after this exchange.
///
/// `heads` are the server's heads, every one of them on disk before the reply was sent: each of
/// the device's changes that is one of these or an ancestor of one is stored. A device checks
/// that with `AutoCommit::get_changes(&heads)` (its changes missing from the result are stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocAck {
    /// The document.
    pub doc: DocId,
    /// The server's durable heads, 32 bytes each.
    pub heads: Vec<serde_bytes::ByteBuf>,
}

impl DocAck {
    /// The heads as automerge change hashes (entries that are not 32 bytes are skipped).
    pub fn change_hashes(&self) -> Vec<automerge::ChangeHash> {
        self.heads
            .iter()
            .filter_map(|h| {
                <[u8; 32]>::try_from(h.as_slice())
                    .ok()
                    .map(automerge::ChangeHash)
            })
            .collect()
    }
}

/// Encodes a wire value compactly (postcard), the body format of `application/x-postcard`.
pub fn to_postcard<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("wire types always serialise")
}

/// Decodes a postcard body; an error says in words what is wrong with it.
pub fn from_postcard<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| {
        format!(
            "the body is not a valid message of this API version: {}",
            postcard_in_words(&e)
        )
    })
}

/// What a postcard decoding error means for the person who sent the body (postcard's own
/// texts speak of varints, discriminants and serde).
fn postcard_in_words(e: &postcard::Error) -> &'static str {
    use postcard::Error as E;
    match e {
        E::DeserializeUnexpectedEnd => "it ends before the message does (cut short?)",
        E::DeserializeBadVarint => "a number in it is malformed or too large",
        E::DeserializeBadBool => "a yes/no value in it is neither",
        E::DeserializeBadChar | E::DeserializeBadUtf8 => "a text in it is not valid UTF-8",
        E::DeserializeBadOption => "an optional value in it is malformed",
        E::DeserializeBadEnum => "it names a kind of value this API does not have",
        E::SerdeDeCustom => {
            "a value in it is not acceptable here (an identifier, a hash or a kind out of range)"
        }
        _ => "it is not encoded the way this API's messages are",
    }
}

/// A document whose changes the server refused, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRefusal {
    /// The document.
    pub doc: DocId,
    /// Why, in words for a person.
    pub reason: String,
}

/// Step 2, server → device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The server's clock.
    pub server_time: Timestamp,
    /// The server's sync messages back, per document.
    pub messages: Vec<DocMessage>,
    /// What is now durably stored.
    pub acks: Vec<DocAck>,
    /// Documents whose incoming changes were refused.
    pub refused: Vec<DocRefusal>,
    /// The summary of everything the device may read on the server
    /// ([`HeadsDigest::of_manifest`]), sent when the exchange stored new changes, none of its
    /// documents was refused and every one ends with the device holding the server's heads: a
    /// device whose own summary then equals it holds exactly what the server holds, and skips
    /// the manifest. A push is then
    /// one round trip. Last in the struct, so that an app that predates it still reads the
    /// rest (postcard leaves trailing bytes unread); always present, `null` in JSON when not
    /// sent (postcard has no way to leave a field out).
    #[serde(default)]
    pub summary: Option<HeadsDigest>,
}

/// An error body, for every non-2xx reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// A stable code to branch on (`unauthorized`, `bad_request`, `too_many`, `busy`, …; a client of another API version is answered `bad_request`).
    pub code: String,
    /// A sentence for a person, in the requester's language where there is one.
    pub message: String,
}

#[cfg(test)]
mod digest_wire_tests {
    use super::*;

    #[test]
    fn a_digest_is_16_bytes_in_postcard_and_hex_in_json() {
        let d = HeadsDigest::of_heads(&[]);
        let compact = to_postcard(&d);
        assert_eq!(compact.len(), 16);
        assert_eq!(from_postcard::<HeadsDigest>(&compact).unwrap(), d);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json.len(), 34);
        assert_eq!(serde_json::from_str::<HeadsDigest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<HeadsDigest>("\"zz\"").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_digest_ignores_order_and_roundtrips_as_hex() {
        let a = automerge::ChangeHash([1; 32]);
        let b = automerge::ChangeHash([2; 32]);
        let d = HeadsDigest::of_heads(&[a, b]);
        assert_eq!(d, HeadsDigest::of_heads(&[b, a]));
        assert_ne!(d, HeadsDigest::of_heads(&[a]));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json.len(), 34);
        assert_eq!(serde_json::from_str::<HeadsDigest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<HeadsDigest>("\"zz\"").is_err());
    }

    #[test]
    fn manifest_digest_depends_on_every_entry() {
        let u1: DocId = "unit:u1".parse().unwrap();
        let u2: DocId = "unit:u2".parse().unwrap();
        let x = HeadsDigest::of_heads(&[]);
        let y = HeadsDigest::of_heads(&[automerge::ChangeHash([9; 32])]);
        let m1 = HeadsDigest::of_manifest([(&u1, &x), (&u2, &y)]);
        assert_eq!(m1, HeadsDigest::of_manifest([(&u2, &y), (&u1, &x)]));
        assert_ne!(m1, HeadsDigest::of_manifest([(&u1, &y), (&u2, &x)]));
    }

    #[test]
    fn responses_roundtrip_as_json_and_postcard() {
        let r = ManifestResponse::InSync {
            server_time: Timestamp(5),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"in_sync":{"server_time":5}}"#
        );
        let back: ManifestResponse = from_postcard(&to_postcard(&r)).unwrap();
        assert_eq!(back, r);
        assert!(from_postcard::<ManifestResponse>(&[200, 1]).is_err());
    }
}

/// The wire codec on arbitrary values and arbitrary bytes: every message the two sides exchange
/// reads back as itself in both encodings, and no byte string a stranger sends makes the
/// decoder do anything but return a value or a sentence.
#[cfg(test)]
mod codec_properties {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;

    fn doc_id() -> impl Strategy<Value = DocId> {
        ("(project|unit)", "[A-Za-z0-9._:-]{1,64}")
            .prop_map(|(kind, id)| format!("{kind}:{id}").parse().expect("a valid id"))
    }

    fn digest() -> impl Strategy<Value = HeadsDigest> {
        vec(any::<[u8; 32]>(), 0..4).prop_map(|heads| {
            HeadsDigest::of_heads(
                &heads
                    .into_iter()
                    .map(automerge::ChangeHash)
                    .collect::<Vec<_>>(),
            )
        })
    }

    fn time() -> impl Strategy<Value = Timestamp> {
        any::<i64>().prop_map(Timestamp)
    }

    fn manifest_request() -> impl Strategy<Value = ManifestRequest> {
        let entry = (doc_id(), digest()).prop_map(|(doc, heads)| ManifestEntry { doc, heads });
        (
            any::<u32>(),
            time(),
            digest(),
            proptest::option::of(vec(entry, 0..8)),
        )
            .prop_map(
                |(api_version, device_time, summary, entries)| ManifestRequest {
                    api_version,
                    device_time,
                    summary,
                    entries,
                },
            )
    }

    fn manifest_response() -> impl Strategy<Value = ManifestResponse> {
        prop_oneof![
            time().prop_map(|server_time| ManifestResponse::InSync { server_time }),
            time().prop_map(|server_time| ManifestResponse::SendEntries { server_time }),
            (time(), vec(doc_id(), 0..6), vec(doc_id(), 0..6)).prop_map(
                |(server_time, changed, new_on_server)| ManifestResponse::Differs {
                    server_time,
                    changed,
                    new_on_server,
                }
            ),
        ]
    }

    fn doc_message() -> impl Strategy<Value = DocMessage> {
        (doc_id(), vec(any::<u8>(), 0..256)).prop_map(|(doc, message)| DocMessage { doc, message })
    }

    fn sync_request() -> impl Strategy<Value = SyncRequest> {
        (any::<u32>(), time(), vec(doc_message(), 0..6)).prop_map(
            |(api_version, device_time, messages)| SyncRequest {
                api_version,
                device_time,
                messages,
            },
        )
    }

    fn sync_response() -> impl Strategy<Value = SyncResponse> {
        let ack = (doc_id(), vec(vec(any::<u8>(), 0..40), 0..4)).prop_map(|(doc, heads)| DocAck {
            doc,
            heads: heads.into_iter().map(serde_bytes::ByteBuf::from).collect(),
        });
        let refusal = (doc_id(), "\\PC{0,40}").prop_map(|(doc, reason)| DocRefusal { doc, reason });
        (
            time(),
            vec(doc_message(), 0..4),
            vec(ack, 0..4),
            vec(refusal, 0..3),
            proptest::option::of(any::<[u8; 16]>().prop_map(HeadsDigest)),
        )
            .prop_map(
                |(server_time, messages, acks, refused, summary)| SyncResponse {
                    server_time,
                    messages,
                    acks,
                    refused,
                    summary,
                },
            )
    }

    /// The postcard encoding of `value` decodes to `value`.
    fn postcard_reads_back<T>(value: &T) -> Result<(), TestCaseError>
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let back = from_postcard::<T>(&to_postcard(value)).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&back, value);
        Ok(())
    }

    /// Both encodings of `value` decode to `value`.
    fn round_trips<T>(value: &T) -> Result<(), TestCaseError>
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        prop_assert_eq!(
            &from_postcard::<T>(&to_postcard(value)).map_err(TestCaseError::fail)?,
            value
        );
        let json = serde_json::to_vec(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(
            &serde_json::from_slice::<T>(&json).map_err(|e| TestCaseError::fail(e.to_string()))?,
            value
        );
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn manifest_requests_round_trip(value in manifest_request()) {
            round_trips(&value)?;
        }

        #[test]
        fn manifest_responses_round_trip(value in manifest_response()) {
            round_trips(&value)?;
        }

        #[test]
        fn sync_requests_round_trip(value in sync_request()) {
            round_trips(&value)?;
        }

        #[test]
        fn sync_responses_round_trip(value in sync_response()) {
            round_trips(&value)?;
        }

        /// Any bytes are a message or a sentence, never a panic; a message decoded from them
        /// is one the codec itself would write (it reads back as itself) and carries only
        /// valid document ids.
        #[test]
        fn any_bytes_decode_to_a_message_or_a_reason(bytes in vec(any::<u8>(), 0..512)) {
            match from_postcard::<SyncRequest>(&bytes) {
                Ok(request) => {
                    postcard_reads_back(&request)?;
                    for message in &request.messages {
                        prop_assert!(message.doc.to_string().parse::<DocId>().is_ok());
                    }
                }
                Err(reason) => prop_assert!(reason.starts_with("the body is not a valid message"), "{reason}"),
            }
            match from_postcard::<ManifestRequest>(&bytes) {
                Ok(request) => postcard_reads_back(&request)?,
                Err(reason) => prop_assert!(reason.starts_with("the body is not a valid message"), "{reason}"),
            }
            if let Ok(response) = from_postcard::<ManifestResponse>(&bytes) {
                postcard_reads_back(&response)?;
            }
        }

        /// Bytes that look like a real request with one byte changed still decode to a request
        /// or a reason; an id that is not a valid id never gets through.
        #[test]
        fn a_corrupted_request_is_a_message_with_valid_ids_or_a_reason(
            value in sync_request(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut bytes = to_postcard(&value);
            let i = at.index(bytes.len());
            bytes[i] = byte;
            if let Ok(request) = from_postcard::<SyncRequest>(&bytes) {
                for message in &request.messages {
                    prop_assert!(message.doc.to_string().parse::<DocId>().is_ok());
                }
            }
        }
    }
}

/// `POST /api/v1/enroll`, device → server: a one-time code traded for the device's token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time code, as typed or scanned (case, spaces and dashes do not matter).
    pub code: String,
    /// A name for the device, e.g. "王丽的手机".
    pub device_name: String,
    /// The id this device had before, when it enrolled here once and lost its token (not
    /// revoked): it stays that device, so the work it did offline is still its own. Ignored
    /// unless the device is the code's person's and not revoked.
    #[serde(default)]
    pub previous_device: Option<String>,
}

/// What an enrolled device receives. The token is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The device's id (also its automerge actor id).
    pub device_id: String,
    /// The bearer token for every later request.
    pub token: String,
    /// The person.
    pub user: String,
    /// Their display name.
    pub display_name: String,
    /// Their roles.
    pub memberships: Vec<crate::role::Membership>,
}

/// Most photos one contractor action may attach.
pub const MAX_ACTION_EVIDENCE: usize = 20;

/// `POST /api/v1/contractor/actions`: a contractor's answer to a finding assigned to its company
/// (on site now, a plan, a refusal, a dispute, repair done with photos, the notice returned).
///
/// Contractor devices never hold unit documents (a unit holds other companies' findings), so
/// the server writes the event into the unit document for them after checking the finding is
/// theirs. Retrying with the same `event` id changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractorAction {
    /// API version of the sender.
    pub api_version: u32,
    /// The finding's unit.
    pub unit: crate::ids::UnitId,
    /// The finding.
    pub finding: crate::ids::FindingId,
    /// The event's id, made on the device so that a retry counts once.
    pub event: crate::ids::EventId,
    /// When the contractor acted (device time; may be long before sending).
    pub at: Timestamp,
    /// The device's clock when sending, to measure its skew.
    pub device_time: Timestamp,
    /// What the contractor did.
    pub kind: crate::event::EventKind,
    /// Photos attached with it (each uploaded as a blob, before or after).
    #[serde(default)]
    pub evidence: Vec<crate::doc::evidence::EvidenceRef>,
}

/// The reply to a [`ContractorAction`]: stored, and where the case stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractorActionReply {
    /// The event, now durably stored.
    pub event: crate::ids::EventId,
    /// The case's status after it.
    pub status: crate::workflow::Status,
}

/// The largest chunk of an evidence upload (`PUT /api/v1/blobs/{hash}?offset=&total=`): a photo
/// on a bad uplink resends at most this much after a cut.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;

/// How far an upload is: the reply to a chunk and to a status query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    /// The blob.
    pub hash: crate::ids::BlobHash,
    /// Verified and stored: nothing more to send.
    pub complete: bool,
    /// Bytes the server holds: where the next chunk starts (the size, once complete).
    pub offset: u64,
    /// The blob's size, once complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

impl UploadStatus {
    /// A complete upload of `bytes` bytes.
    pub fn stored(hash: crate::ids::BlobHash, bytes: u64) -> Self {
        Self {
            hash,
            complete: true,
            offset: bytes,
            bytes: Some(bytes),
        }
    }

    /// An upload holding its first `offset` bytes.
    pub fn staged(hash: crate::ids::BlobHash, offset: u64) -> Self {
        Self {
            hash,
            complete: false,
            offset,
            bytes: None,
        }
    }
}

/// The 409 body of a chunk sent at the wrong offset: an
/// [`ApiErrorBody`] plus where to resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetConflict {
    /// Always `offset_mismatch`.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The bytes the server holds: send the next chunk from here.
    pub offset: u64,
}

/// One reminder or escalation as `GET /api/v1/notifications` gives it to the person's phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationItem {
    /// Its number on the server.
    pub id: i64,
    /// The project.
    pub project: crate::ids::ProjectId,
    /// The unit.
    pub unit: crate::ids::UnitId,
    /// The case.
    pub finding: crate::ids::FindingId,
    /// What it is about.
    pub kind: crate::workflow::reminder::ReminderKind,
    /// The notice it concerns.
    pub notice_no: Option<String>,
    /// When the rule's instant came.
    pub due_at: Timestamp,
    /// When the server recorded it.
    pub created_at: Timestamp,
    /// When it was marked read.
    pub read_at: Option<Timestamp>,
}
