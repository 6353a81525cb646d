//! Why a document does not fit the schema, in the API's own words: the key at fault and the
//! kind of value that belongs there, rather than autosurgeon's message (`unexpected nothing at
//! all, expected a ScalarValue::Null`, `One of ("Inspection" , "OwnerCall")`), which names
//! neither the key nor the value in terms a client's author can act on. A device's refused
//! change comes back with this text, so it is written for the person who wrote that device.

use automerge::ObjId;
use autosurgeon::hydrate::Unexpected;
use autosurgeon::{Hydrate, HydrateError, ReadDoc, hydrate_prop};

use crate::doc::evidence::EvidenceRef;
use crate::doc::round::{CheckResult, RoundKind};
use crate::doc::sealed;
use crate::event::{Event, Origin, Receipt};
use crate::ids::{BlobHash, CategoryId, EventId, FindingId, ItemId, RoomId, RoundId};
use crate::role::Actor;
use crate::severity::Severity;
use crate::time::Timestamp;

/// A hydration error as a sentence: what was found, and what belongs there.
pub(crate) fn explain(e: &HydrateError) -> String {
    match e {
        HydrateError::Unexpected(Unexpected::Other { expected, found }) => {
            format!(
                "{}, where {} belongs",
                found_words(found),
                expected_words(expected)
            )
        }
        HydrateError::Unexpected(Unexpected::Text) => "an automerge Text object, where a plain \
            (scalar) string belongs: Plumbline writes every string as a scalar"
            .to_owned(),
        HydrateError::Unexpected(Unexpected::None) => "nothing (the key is missing)".to_owned(),
        HydrateError::Unexpected(kind) => {
            let found = match kind {
                Unexpected::Map => "a map",
                Unexpected::Seq => "a list",
                Unexpected::Boolean => "a boolean",
                Unexpected::Bytes => "bytes",
                Unexpected::Counter => "a counter",
                Unexpected::F64 => "a floating-point number",
                Unexpected::Int => "a signed integer",
                Unexpected::Uint => "an unsigned integer",
                Unexpected::String => "a string",
                Unexpected::Timestamp => "an automerge timestamp",
                _ => "a value of another kind",
            };
            format!("{found}, which does not belong here")
        }
        other => other.to_string(),
    }
}

fn found_words(found: &str) -> String {
    match found {
        "nothing at all" => "nothing (the key is missing)".to_owned(),
        // A sealed record's echo may hold newlines; a refusal is one line.
        other => other.replace('\n', "\\n"),
    }
}

fn expected_words(expected: &str) -> String {
    if expected == "a ScalarValue::Null" {
        return "null (write the key with a null value when there is none)".to_owned();
    }
    // The derive's list of unit variants, token-spaced by `quote!`: `One of ("Inspection" ,
    // "OwnerCall")`, across lines in some versions.
    let flat = expected.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(names) = flat
        .strip_prefix("One of")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('('))
        .and_then(|r| r.strip_suffix(')'))
    {
        let names: Vec<&str> = names
            .split(',')
            .map(|n| n.trim().trim_matches('"'))
            .collect();
        return format!("one of the strings {}", names.join(", "));
    }
    // The integer impls: `"a " u32`.
    if let Some(ty) = expected.strip_prefix("\"a \" ") {
        let range = match ty.trim() {
            "u8" => "from 0 to 255",
            "u16" => "from 0 to 65535",
            "u32" => "from 0 to 4294967295",
            "u64" => "of 0 or more",
            _ => "in range",
        };
        return format!("a whole number {range}");
    }
    expected.replace('\n', "\\n")
}

/// The records of a unit document whose failure to read is explained key by key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Record {
    /// A finding.
    Finding,
    /// An inspection round.
    Round,
}

impl Record {
    /// How a refusal names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Record::Finding => "finding",
            Record::Round => "round",
        }
    }

    /// The first key of the record at `obj` that does not hydrate, as `` `key`: why ``.
    pub(crate) fn key_at_fault<D: ReadDoc>(self, doc: &D, obj: &ObjId) -> Option<String> {
        match self {
            Record::Finding => finding_key(doc, obj),
            Record::Round => round_key(doc, obj),
        }
    }
}

/// Hydrates one key of a record alone.
fn key<D: ReadDoc, T: Hydrate>(doc: &D, obj: &ObjId, name: &str) -> Result<(), HydrateError> {
    hydrate_prop::<_, T, _, _>(doc, obj, name).map(drop)
}

/// A check of one key of a record.
type Check<D> = fn(&D, &ObjId) -> Result<(), HydrateError>;

/// The first of `checks` that fails, as `` `key`: why ``.
fn first_failing<D: ReadDoc>(doc: &D, obj: &ObjId, checks: &[(&str, Check<D>)]) -> Option<String> {
    checks.iter().find_map(|(name, check)| {
        check(doc, obj)
            .err()
            .map(|e| format!("`{name}`: {}", explain(&e)))
    })
}

/// The first key of the finding at `obj` that does not hydrate, as `` `key`: why ``; `None`
/// when each key does on its own (then the finding as a whole is at fault, e.g. its id).
fn finding_key<D: ReadDoc>(doc: &D, obj: &ObjId) -> Option<String> {
    let checks: [(&str, Check<D>); 14] = [
        ("id", |d, o| key::<_, FindingId>(d, o, "id")),
        ("origin", |d, o| key::<_, Origin>(d, o, "origin")),
        ("round", |d, o| key::<_, Option<RoundId>>(d, o, "round")),
        ("room", |d, o| key::<_, RoomId>(d, o, "room")),
        ("item", |d, o| key::<_, ItemId>(d, o, "item")),
        ("category", |d, o| key::<_, CategoryId>(d, o, "category")),
        ("severity", |d, o| key::<_, Severity>(d, o, "severity")),
        ("description", |d, o| key::<_, String>(d, o, "description")),
        ("created_by", |d, o| key::<_, Actor>(d, o, "created_by")),
        ("created_at", |d, o| key::<_, Timestamp>(d, o, "created_at")),
        ("evidence", |d, o| {
            sealed::map::hydrate::<BlobHash, EvidenceRef, _>(d, o, "evidence".into()).map(drop)
        }),
        ("events", |d, o| {
            sealed::list::hydrate::<Event, _>(d, o, "events".into()).map(drop)
        }),
        ("receipts", |d, o| {
            sealed::map::hydrate::<EventId, Receipt, _>(d, o, "receipts".into()).map(drop)
        }),
        ("owner", |d, o| {
            sealed::optional::hydrate::<crate::doc::finding::OwnerContact, _>(d, o, "owner".into())
                .map(drop)
        }),
    ];
    first_failing(doc, obj, &checks)
}

/// The first key of the inspection round at `obj` that does not hydrate, as for
/// [`finding_key`].
fn round_key<D: ReadDoc>(doc: &D, obj: &ObjId) -> Option<String> {
    let checks: [(&str, Check<D>); 6] = [
        ("id", |d, o| key::<_, RoundId>(d, o, "id")),
        ("kind", |d, o| key::<_, RoundKind>(d, o, "kind")),
        ("number", |d, o| key::<_, u32>(d, o, "number")),
        ("started_at", |d, o| key::<_, Timestamp>(d, o, "started_at")),
        ("started_by", |d, o| key::<_, Actor>(d, o, "started_by")),
        ("results", |d, o| {
            sealed::map::hydrate::<ItemId, CheckResult, _>(d, o, "results".into()).map(drop)
        }),
    ];
    first_failing(doc, obj, &checks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};

    #[test]
    fn autosurgeons_phrases_become_sentences() {
        let missing = HydrateError::unexpected("a ScalarValue::Null", "nothing at all".into());
        assert_eq!(
            explain(&missing),
            "nothing (the key is missing), where null (write the key with a null value when \
             there is none) belongs"
        );
        let variant = HydrateError::unexpected(
            r#"One of ("Inspection" , "OwnerCall")"#,
            "inspection".into(),
        );
        assert_eq!(
            explain(&variant),
            "inspection, where one of the strings Inspection, OwnerCall belongs"
        );
        let big = HydrateError::unexpected(r#""a " u32"#, "an integer which is too large".into());
        assert!(
            explain(&big).contains("a whole number from 0 to 4294967295"),
            "{}",
            explain(&big)
        );
        assert!(explain(&HydrateError::Unexpected(Unexpected::Text)).contains("scalar"));
    }

    #[test]
    fn the_key_at_fault_is_named() {
        let mut doc = AutoCommit::new();
        let f = doc.put_object(ROOT, "f", ObjType::Map).unwrap();
        doc.put(&f, "id", "f-1").unwrap();
        doc.put(&f, "origin", "inspection").unwrap();
        let why = finding_key(&doc, &f).unwrap();
        assert!(
            why.starts_with("`origin`: inspection, where one of the strings Inspection"),
            "{why}"
        );
        doc.put(&f, "origin", "Inspection").unwrap();
        let why = finding_key(&doc, &f).unwrap();
        assert!(
            why.starts_with("`round`: nothing (the key is missing)"),
            "{why}"
        );
    }
}
