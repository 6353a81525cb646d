//! Typed identifiers.
//!
//! Every record is named by a short string id wrapped in its own type, so a [`UnitId`] can never
//! be passed where a [`FindingId`] is meant. Ids are plain ASCII (`[A-Za-z0-9._:-]`, at most 64
//! bytes) because they become automerge map keys, SQL keys and URL path segments.
//!
//! Random ids ([`FindingId::random`] and friends) are 128-bit UUIDs in simple hex form: two
//! inspectors adding findings offline never collide.
//!
//! [`BlobHash`] is different: it is the BLAKE3 hash of a photo's bytes, 64 lowercase hex digits,
//! and it is computed, never chosen.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The longest id we accept, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// An id string that does not fit the id rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id was empty.
    #[error("{kind} id is empty")]
    Empty {
        /// Which kind of id.
        kind: &'static str,
    },
    /// The id was longer than [`MAX_ID_LEN`].
    #[error("{kind} id `{value}` is longer than {MAX_ID_LEN} bytes")]
    TooLong {
        /// Which kind of id.
        kind: &'static str,
        /// The offending value (cut to a readable length).
        value: String,
    },
    /// The id held a character outside `[A-Za-z0-9._:-]`.
    #[error(
        "{kind} id `{value}` has the character {ch:?}; use only letters, digits, '.', '_', ':' or '-'"
    )]
    BadChar {
        /// Which kind of id.
        kind: &'static str,
        /// The offending value.
        value: String,
        /// The first character that is not allowed.
        ch: char,
    },
    /// A blob hash that is not 64 lowercase hex digits.
    #[error("blob hash `{0}` is not 64 lowercase hex digits (a BLAKE3 hash)")]
    BadHash(String),
}

fn check_id(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.len() > MAX_ID_LEN {
        let shown: String = value.chars().take(80).collect();
        return Err(IdError::TooLong { kind, value: shown });
    }
    if let Some(ch) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(IdError::BadChar {
            kind,
            value: value.to_owned(),
            ch,
        });
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and validates an id.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                check_id($kind, &value)?;
                Ok(Self(value))
            }

            /// A fresh random id (a UUID v4 in simple hex form).
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4().simple().to_string())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.0.reconcile(reconciler)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, autosurgeon::HydrateError> {
                Self::new(s).map_err(|e| autosurgeon::HydrateError::unexpected("a valid id", e.to_string()))
            }
        }
    };
}

string_id!(
    /// A project (楼盘), e.g. `licheng`.
    ProjectId,
    "project"
);
string_id!(
    /// A building (楼栋) within a project, e.g. `licheng-b3`.
    BuildingId,
    "building"
);
string_id!(
    /// An apartment unit (户) within a building, e.g. `licheng-b3-1201`.
    UnitId,
    "unit"
);
string_id!(
    /// A finding / case (问题 / 投诉案件) within a unit document.
    FindingId,
    "finding"
);
string_id!(
    /// One event on a finding's timeline.
    EventId,
    "event"
);
string_id!(
    /// An inspection round on a unit.
    RoundId,
    "round"
);
string_id!(
    /// One installation of the app on one phone, or one server instance. It doubles as the
    /// automerge actor id of everything written there.
    DeviceId,
    "device"
);
string_id!(
    /// A person with an account.
    UserId,
    "user"
);
string_id!(
    /// A contractor company (施工单位).
    ContractorId,
    "contractor"
);
string_id!(
    /// An inspection assignment (验收任务) in a project document ([`crate::inspection_plan`]).
    AssignmentId,
    "assignment"
);
string_id!(
    /// A fine slip (罚款单) on a finding.
    FineId,
    "fine"
);
string_id!(
    /// A floor plan (平面图) in a project document ([`crate::floor_plan`]).
    FloorPlanId,
    "floor plan"
);
string_id!(
    /// An owner's claim (索赔) on a finding.
    ClaimId,
    "claim"
);
string_id!(
    /// An owner's signed joint inspection (业主陪验) of a unit ([`crate::doc::walk`]).
    WalkId,
    "walk"
);
string_id!(
    /// A room in a checklist template, e.g. `kitchen`.
    RoomId,
    "room"
);
string_id!(
    /// A check item in a checklist template, e.g. `kitchen.drain`.
    ItemId,
    "item"
);
string_id!(
    /// A defect category in a checklist template, e.g. `waterproofing`.
    CategoryId,
    "category"
);

/// The BLAKE3 hash of a blob's bytes (a photo or a signature): how evidence is named.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BlobHash(String);

impl BlobHash {
    /// Hashes `bytes` with BLAKE3.
    pub fn of(bytes: &[u8]) -> Self {
        Self(blake3::hash(bytes).to_hex().to_string())
    }

    /// Parses 64 lowercase hex digits.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        if value.len() == 64
            && value
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(Self(value.to_owned()))
        } else {
            let shown: String = value.chars().take(80).collect();
            Err(IdError::BadHash(shown))
        }
    }

    /// The hash as 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobHash({}…)", &self.0[..12])
    }
}

impl FromStr for BlobHash {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for BlobHash {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<BlobHash> for String {
    fn from(h: BlobHash) -> String {
        h.0
    }
}

impl AsRef<str> for BlobHash {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl autosurgeon::Reconcile for BlobHash {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }
}

impl autosurgeon::Hydrate for BlobHash {
    fn hydrate_string(s: &'_ str) -> Result<Self, autosurgeon::HydrateError> {
        Self::parse(s)
            .map_err(|e| autosurgeon::HydrateError::unexpected("a blob hash", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_the_documented_alphabet() {
        assert!(UnitId::new("licheng-b3:12.01_a").is_ok());
        assert_eq!(FindingId::random().as_str().len(), 32);
    }

    #[test]
    fn ids_refuse_empty_long_and_odd_characters() {
        assert_eq!(UnitId::new(""), Err(IdError::Empty { kind: "unit" }));
        assert!(matches!(
            UnitId::new("x".repeat(65)),
            Err(IdError::TooLong { .. })
        ));
        let err = UnitId::new("3-1201 室").unwrap_err();
        assert!(err.to_string().contains("' '"), "{err}");
    }

    #[test]
    fn blob_hash_is_blake3_hex() {
        let h = BlobHash::of(b"photo");
        assert_eq!(h.as_str(), blake3::hash(b"photo").to_hex().as_str());
        assert_eq!(BlobHash::parse(h.as_str()), Ok(h));
        assert!(BlobHash::parse("ABC").is_err());
        assert!(BlobHash::parse(&"A".repeat(64)).is_err());
    }

    #[test]
    fn ids_roundtrip_through_serde_and_refuse_bad_values() {
        let id: UnitId = serde_json::from_str("\"u-1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"u-1\"");
        assert!(serde_json::from_str::<UnitId>("\"a b\"").is_err());
    }
}
