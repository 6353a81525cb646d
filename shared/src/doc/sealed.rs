//! Immutable records stored as one JSON string each ("sealed").
//!
//! Events, evidence references, receipts and checklist results are written once and never
//! edited field by field. Storing each as a single string value rather than a nested map:
//! - makes it atomic: a merge can never produce half of one event and half of another;
//! - makes documents far cheaper to read: automerge 0.12 costs about 1.5 µs per op to read, and
//!   an event as a map of maps is a dozen ops where a sealed event is one. On the benchmark unit
//!   (100 findings × 10 events × 2 photos) reading the document went from about 120 ms to the
//!   figures in `docs/benchmarks.md`.
//!
//! Plain editable fields (category, severity, description) stay automerge registers so that
//! concurrent edits are kept and shown (see [`crate::doc::conflict`]).
//!
//! The modules here are autosurgeon `with =` adaptors: [`list`] for `Vec<T>`, [`map`] for
//! `BTreeMap<K, V>` whose values are sealed, and [`optional`] for an `Option<T>` field added
//! after documents were already written.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Serialises a sealed value. Our record types serialise infallibly (no maps with non-string
/// keys, no custom serialisers that fail).
pub(crate) fn seal<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("sealed record types always serialise to JSON")
}

/// Parses a sealed value, naming what was expected when it does not fit.
pub(crate) fn unseal<T: DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, autosurgeon::HydrateError> {
    serde_json::from_str(text).map_err(|e| {
        // One line, however the client formatted its JSON.
        let shown: String = text
            .chars()
            .take(120)
            .collect::<String>()
            .replace('\n', "\\n");
        let what = what.rsplit("::").next().unwrap_or(what);
        autosurgeon::HydrateError::unexpected(
            format!("a JSON string holding one {what} record ({e})"),
            format!("`{shown}`"),
        )
    })
}

/// `Vec<T>` as an automerge list of sealed strings.
pub(crate) mod list {
    use autosurgeon::reconcile::SeqReconciler;
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconciler};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub(crate) fn reconcile<T: Serialize, R: Reconciler>(
        items: &[T],
        mut r: R,
    ) -> Result<(), R::Error> {
        let mut seq = r.seq()?;
        let existing = seq.len()?;
        for (i, item) in items.iter().enumerate() {
            let text = super::seal(item);
            if i < existing {
                seq.set(i, text)?;
            } else {
                seq.insert(i, text)?;
            }
        }
        for i in (items.len()..existing).rev() {
            seq.delete(i)?;
        }
        Ok(())
    }

    pub(crate) fn hydrate<T: DeserializeOwned, D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<Vec<T>, HydrateError> {
        let texts = Vec::<String>::hydrate(doc, obj, prop)?;
        texts
            .iter()
            .map(|t| super::unseal(std::any::type_name::<T>(), t))
            .collect()
    }
}

/// `BTreeMap<K, V>` as an automerge map from `K`'s text to sealed strings.
pub(crate) mod map {
    use std::collections::BTreeMap;
    use std::fmt::Display;
    use std::str::FromStr;

    use autosurgeon::reconcile::MapReconciler;
    use autosurgeon::{Hydrate, HydrateError, Prop, ReadDoc, Reconciler};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub(crate) fn reconcile<K: Display, V: Serialize, R: Reconciler>(
        items: &BTreeMap<K, V>,
        mut r: R,
    ) -> Result<(), R::Error> {
        let mut m = r.map()?;
        let wanted: BTreeMap<String, String> = items
            .iter()
            .map(|(k, v)| (k.to_string(), super::seal(v)))
            .collect();
        let stale: Vec<String> = m
            .entries()
            .map(|(k, _)| k.into_owned())
            .filter(|k| !wanted.contains_key(k))
            .collect();
        for k in stale {
            m.delete(k)?;
        }
        for (k, v) in wanted {
            m.put(k, v)?;
        }
        Ok(())
    }

    pub(crate) fn hydrate<K, V, D>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<BTreeMap<K, V>, HydrateError>
    where
        K: FromStr + Ord,
        K::Err: Display,
        V: DeserializeOwned,
        D: ReadDoc,
    {
        let texts = BTreeMap::<String, String>::hydrate(doc, obj, prop)?;
        texts
            .into_iter()
            .map(|(k, v)| {
                let key = k.parse::<K>().map_err(|e| {
                    HydrateError::unexpected("a valid key", format!("the key `{k}` ({e})"))
                })?;
                Ok((key, super::unseal(std::any::type_name::<V>(), &v)?))
            })
            .collect()
    }
}

/// `Option<T>` as one sealed string that may be absent.
///
/// For a field added to a record after documents were written without it: autosurgeon's own
/// `Option` wants an explicit null and refuses a missing key, which would make every older
/// document unreadable. Here a missing key (or a null) is `None`, and `None` writes nothing, so a
/// record without the value keeps exactly the shape older apps wrote and read.
pub(crate) mod optional {
    use automerge::{ScalarValue, Value};
    use autosurgeon::{HydrateError, Prop, ReadDoc, Reconciler};
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub(crate) fn reconcile<T: Serialize, R: Reconciler>(
        value: &Option<T>,
        mut r: R,
    ) -> Result<(), R::Error> {
        match value {
            Some(v) => r.str(super::seal(v)),
            None => Ok(()),
        }
    }

    pub(crate) fn hydrate<T: DeserializeOwned, D: ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
        prop: Prop<'_>,
    ) -> Result<Option<T>, HydrateError> {
        match doc.get(obj, &prop)? {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Null => Ok(None),
                ScalarValue::Str(text) => super::unseal(std::any::type_name::<T>(), text).map(Some),
                other => Err(HydrateError::unexpected(
                    "a JSON string or nothing",
                    other.to_string(),
                )),
            },
            Some((Value::Object(t), _)) => Err(HydrateError::unexpected(
                "a JSON string or nothing",
                format!(
                    "an automerge {}",
                    match t {
                        automerge::ObjType::Map => "map",
                        automerge::ObjType::List => "list",
                        automerge::ObjType::Text => "Text object",
                        automerge::ObjType::Table => "table",
                    }
                ),
            )),
        }
    }
}
