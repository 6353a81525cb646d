//! The unit document and the operations that change it.
//!
//! [`UnitDoc`] wraps an automerge document with the shape described in [`crate::doc`]. Every
//! write is a small typed operation that takes the [`Actor`] doing it and the time by the
//! caller's clock, writes with the actor's device as the automerge actor, and commits one
//! change. Reads hydrate typed values ([`Finding`], [`Round`]) and fail with a clear error when
//! the document does not fit the schema.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value, transaction::Transactable};
use autosurgeon::{Hydrate, hydrate_prop, reconcile_prop};

use crate::doc::conflict::{FieldConflict, field_conflicts};
use crate::doc::evidence::EvidenceRef;
use crate::doc::finding::{Finding, OwnerContact};
use crate::doc::in_our_words::{Record, explain};
use crate::doc::round::{CheckResult, Outcome, Round, RoundKind};
use crate::doc::walk::{MAX_WALKS_PER_UNIT, SignedWalk, WALK_KEY_PREFIX};
use crate::doc::{
    DocError, MAX_DESCRIPTION_CHARS, MAX_EVENTS_PER_FINDING, MAX_EVIDENCE_PER_FINDING,
    MAX_FINDINGS_PER_UNIT, actor_for, check_text, commit, deterministic_doc, sealed::seal,
};
use crate::event::{EditedField, Event, EventKind, Origin, Receipt};
use crate::ids::{
    CategoryId, DeviceId, EventId, FindingId, ItemId, ProjectId, RoomId, RoundId, UnitId, UserId,
    WalkId,
};
use crate::role::Actor;
use crate::severity::Severity;
use crate::time::Timestamp;

/// The `schema` value of a unit document.
pub const UNIT_SCHEMA: &str = "plumbline/unit";
/// The newest unit schema version this code reads and writes.
pub const UNIT_SCHEMA_VERSION: i64 = 1;

const DOC: &str = "unit document";

/// What a new finding needs. The caller checks room, item and category against the project's
/// checklist template ([`crate::template`]); the document only bounds sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    /// Where it came from.
    pub origin: Origin,
    /// The round it was found in, if any.
    pub round: Option<RoundId>,
    /// Room.
    pub room: RoomId,
    /// Check item.
    pub item: ItemId,
    /// Category (usually the item's).
    pub category: CategoryId,
    /// Severity (usually the item's default).
    pub severity: Severity,
    /// What is wrong.
    pub description: String,
}

/// An edit of one plain field of a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldEdit {
    /// New category.
    Category(CategoryId),
    /// New severity.
    Severity(Severity),
    /// New description.
    Description(String),
}

/// Everything a unit document holds, hydrated.
#[derive(Debug, Clone, PartialEq, Hydrate)]
pub struct UnitRecord {
    /// Always [`UNIT_SCHEMA`].
    pub schema: String,
    /// Schema version.
    pub schema_version: i64,
    /// The project.
    pub project: ProjectId,
    /// The unit.
    pub unit: UnitId,
    /// Inspection rounds.
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub rounds: BTreeMap<RoundId, Round>,
    /// Findings.
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub findings: BTreeMap<FindingId, Finding>,
    /// Who is behind each device that wrote to this document.
    #[autosurgeon(with = "autosurgeon::map_with_parseable_keys")]
    pub editors: BTreeMap<DeviceId, UserId>,
}

/// Reads only the id of a sealed event.
#[derive(serde::Deserialize)]
struct EventIdOnly {
    id: EventId,
}

/// One unit's automerge document.
#[derive(Debug, Clone)]
pub struct UnitDoc {
    doc: AutoCommit,
}

fn schema_error(what: impl Into<String>) -> DocError {
    DocError::Schema {
        doc: DOC,
        what: what.into(),
    }
}

impl UnitDoc {
    /// The document of `unit`, empty. Deterministic: every replica that calls this for the same
    /// unit makes the identical first change, so independent copies merge cleanly.
    pub fn new(project: &ProjectId, unit: &UnitId) -> Self {
        let doc = deterministic_doc(&format!("unit:{unit}"), |doc| {
            doc.put(ROOT, "schema", UNIT_SCHEMA)?;
            doc.put(ROOT, "schema_version", UNIT_SCHEMA_VERSION)?;
            doc.put(ROOT, "project", project.as_str())?;
            doc.put(ROOT, "unit", unit.as_str())?;
            doc.put_object(ROOT, "rounds", ObjType::Map)?;
            doc.put_object(ROOT, "findings", ObjType::Map)?;
            doc.put_object(ROOT, "editors", ObjType::Map)?;
            Ok(())
        })
        .expect("writing fixed keys into a fresh document cannot fail");
        Self { doc }
    }

    /// Loads a saved document and checks that it fits the schema.
    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        Self::from_automerge(AutoCommit::load(bytes)?)
    }

    /// Wraps an automerge document after checking that it fits the schema.
    pub fn from_automerge(doc: AutoCommit) -> Result<Self, DocError> {
        let this = Self { doc };
        this.validate()?;
        Ok(this)
    }

    /// Wraps a document that was validated before (the server's stored copy) without checking it
    /// again: validation hydrates everything, which a hot path should not repeat.
    pub fn from_trusted(doc: AutoCommit) -> Self {
        Self { doc }
    }

    /// Unwraps the automerge document.
    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// Checks the whole document against the schema, naming the first part that does not fit.
    pub fn validate(&self) -> Result<(), DocError> {
        match self.doc.get(ROOT, "schema")? {
            Some((Value::Scalar(s), _)) if s.as_str() == Some(UNIT_SCHEMA) => {}
            other => {
                let found = other
                    .map(|(v, _)| v.to_string())
                    .unwrap_or_else(|| "nothing".into());
                return Err(schema_error(format!(
                    "`schema` is {found}, expected \"{UNIT_SCHEMA}\""
                )));
            }
        }
        let version: i64 = hydrate_prop(&self.doc, ROOT, "schema_version")
            .map_err(|e| schema_error(format!("`schema_version`: {e}")))?;
        if version > UNIT_SCHEMA_VERSION {
            return Err(schema_error(format!(
                "schema version {version} is newer than this app understands ({UNIT_SCHEMA_VERSION}); update the app"
            )));
        }
        for key in ["project", "unit"] {
            String::hydrate(&self.doc, &ROOT, key.into())
                .map_err(|e| schema_error(format!("`{key}`: {e}")))?;
        }
        let _: UnitId = hydrate_prop(&self.doc, ROOT, "unit")
            .map_err(|e| schema_error(format!("`unit`: {e}")))?;
        let _: ProjectId = hydrate_prop(&self.doc, ROOT, "project")
            .map_err(|e| schema_error(format!("`project`: {e}")))?;
        let findings = self.map_obj(&ROOT, "findings")?;
        for key in self.doc.keys(&findings) {
            let f: Finding = hydrate_prop(&self.doc, &findings, key.as_str())
                .map_err(|e| self.record_error(&findings, Record::Finding, &key, &e))?;
            if f.id.as_str() != key {
                return Err(schema_error(format!(
                    "finding `{key}` carries the id `{}`",
                    f.id
                )));
            }
        }
        let rounds = self.map_obj(&ROOT, "rounds")?;
        for key in self.doc.keys(&rounds) {
            let _: Round = hydrate_prop(&self.doc, &rounds, key.as_str())
                .map_err(|e| self.record_error(&rounds, Record::Round, &key, &e))?;
        }
        self.walks()?;
        let editors = self.map_obj(&ROOT, "editors")?;
        for key in self.doc.keys(&editors) {
            DeviceId::new(key.as_str()).map_err(|e| schema_error(format!("editors: {e}")))?;
            let _: UserId = hydrate_prop(&self.doc, &editors, key.as_str())
                .map_err(|e| schema_error(format!("editor `{key}`: {e}")))?;
        }
        Ok(())
    }

    /// Why the finding or round (`what`) at `key` of `map` does not read: the key of it at
    /// fault when one is, in the API's words (a device's refused change carries this).
    fn record_error(
        &self,
        map: &ObjId,
        what: Record,
        key: &str,
        e: &autosurgeon::HydrateError,
    ) -> DocError {
        let at_fault = match self.doc.get(map, key) {
            Ok(Some((Value::Object(ObjType::Map), obj))) => what.key_at_fault(&self.doc, &obj),
            _ => None,
        };
        let why = at_fault.unwrap_or_else(|| explain(e));
        schema_error(format!("{} `{key}`: {why}", what.name()))
    }

    /// The whole document as bytes.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The underlying automerge document, for sync.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// The underlying automerge document, mutably, for sync. Callers that merge foreign changes
    /// must [`validate`](Self::validate) afterwards.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// The unit this document is for.
    pub fn unit_id(&self) -> Result<UnitId, DocError> {
        hydrate_prop(&self.doc, ROOT, "unit").map_err(|e| schema_error(format!("`unit`: {e}")))
    }

    /// The project this document belongs to.
    pub fn project_id(&self) -> Result<ProjectId, DocError> {
        hydrate_prop(&self.doc, ROOT, "project")
            .map_err(|e| schema_error(format!("`project`: {e}")))
    }

    /// Everything in the document.
    pub fn read(&self) -> Result<UnitRecord, DocError> {
        autosurgeon::hydrate(&self.doc).map_err(|e| schema_error(e.to_string()))
    }

    /// All findings, by id.
    pub fn findings(&self) -> Result<BTreeMap<FindingId, Finding>, DocError> {
        hydrate_prop::<_, BTreeMap<String, Finding>, _, _>(&self.doc, ROOT, "findings")
            .map_err(|e| schema_error(format!("findings: {e}")))
            .map(|m| m.into_values().map(|f| (f.id.clone(), f)).collect())
    }

    /// The ids of all findings, without hydrating them.
    pub fn finding_ids(&self) -> Result<Vec<FindingId>, DocError> {
        let findings = self.map_obj(&ROOT, "findings")?;
        self.doc
            .keys(&findings)
            .map(|k| FindingId::new(k).map_err(|e| schema_error(e.to_string())))
            .collect()
    }

    /// One finding.
    pub fn finding(&self, id: &FindingId) -> Result<Finding, DocError> {
        let findings = self.map_obj(&ROOT, "findings")?;
        if self.doc.get(&findings, id.as_str())?.is_none() {
            return Err(DocError::NoSuchFinding(id.to_string()));
        }
        hydrate_prop(&self.doc, &findings, id.as_str())
            .map_err(|e| self.record_error(&findings, Record::Finding, id.as_str(), &e))
    }

    /// One inspection round.
    pub fn round(&self, id: &RoundId) -> Result<Round, DocError> {
        let rounds = self.map_obj(&ROOT, "rounds")?;
        if self.doc.get(&rounds, id.as_str())?.is_none() {
            return Err(DocError::NoSuchRound(id.to_string()));
        }
        hydrate_prop(&self.doc, &rounds, id.as_str())
            .map_err(|e| self.record_error(&rounds, Record::Round, id.as_str(), &e))
    }

    /// The finding's fields that hold concurrent values, with who wrote each.
    pub fn conflicts(&self, id: &FindingId) -> Result<Vec<FieldConflict>, DocError> {
        let finding = self.finding_obj(id)?;
        let editors = self.map_obj(&ROOT, "editors")?;
        Ok(field_conflicts(&self.doc, &finding, |device| {
            hydrate_prop(&self.doc, &editors, device.as_str()).ok()
        })?)
    }

    /// Starts an inspection round, numbered after the rounds of its kind this replica knows.
    pub fn start_round(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        kind: RoundKind,
    ) -> Result<RoundId, DocError> {
        let rounds = self.map_obj(&ROOT, "rounds")?;
        let mut number = 1;
        for key in self.doc.keys(&rounds).collect::<Vec<_>>() {
            let r: Round = hydrate_prop(&self.doc, &rounds, key.as_str())
                .map_err(|e| self.record_error(&rounds, Record::Round, &key, &e))?;
            if r.kind == kind {
                number = number.max(r.number + 1);
            }
        }
        let id = RoundId::random();
        let round = Round {
            id: id.clone(),
            kind,
            number,
            started_at: at,
            started_by: actor.clone(),
            results: BTreeMap::new(),
        };
        self.begin(actor)?;
        reconcile_prop(&mut self.doc, &rounds, id.as_str(), &round)
            .map_err(|e| DocError::Invalid(format!("could not write round: {e}")))?;
        commit(&mut self.doc, at, "start round");
        Ok(id)
    }

    /// Marks one check item in a round: pass, defect (naming its finding) or not applicable.
    pub fn record_result(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        round: &RoundId,
        item: &ItemId,
        outcome: Outcome,
        finding: Option<FindingId>,
    ) -> Result<(), DocError> {
        if outcome == Outcome::Defect && finding.is_none() {
            return Err(DocError::Invalid(format!(
                "item `{item}` marked as a defect needs the finding that records it"
            )));
        }
        if let Some(f) = &finding {
            self.finding_obj(f)?;
        }
        let rounds = self.map_obj(&ROOT, "rounds")?;
        let round_obj = match self.doc.get(&rounds, round.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => return Err(DocError::NoSuchRound(round.to_string())),
        };
        let results = self.map_obj(&round_obj, "results")?;
        let result = CheckResult {
            outcome,
            finding,
            by: actor.clone(),
            at,
        };
        self.begin(actor)?;
        self.doc.put(&results, item.as_str(), seal(&result))?;
        commit(&mut self.doc, at, "record result");
        Ok(())
    }

    /// Records a new finding and opens its timeline with a `recorded` event.
    pub fn record_finding(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        new: NewFinding,
    ) -> Result<FindingId, DocError> {
        self.record(actor, at, new, None)
    }

    /// [`record_finding`](Self::record_finding) for an owner's complaint taken by phone or at
    /// the front desk: the same finding and `recorded` event, with the owner's contact written
    /// in the same change, masked (see [`OwnerContact`] for where it lives and why). The caller
    /// keeps the full contact on the server.
    pub fn record_complaint(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        new: NewFinding,
        owner: OwnerContact,
    ) -> Result<FindingId, DocError> {
        self.record(actor, at, new, Some(owner))
    }

    fn record(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        new: NewFinding,
        owner: Option<OwnerContact>,
    ) -> Result<FindingId, DocError> {
        check_text("the description", &new.description, MAX_DESCRIPTION_CHARS)?;
        if let Some(o) = &owner {
            // The caller built it with `OwnerContact::new`; a contact that would not pass it
            // again (built by hand) is refused rather than stored.
            let again = OwnerContact::new(&o.name, &o.phone)
                .map_err(|e| DocError::Invalid(e.to_string()))?;
            if &again != o {
                return Err(DocError::Invalid(
                    "the owner's contact is not in its normal form; build it with OwnerContact::new"
                        .into(),
                ));
            }
        }
        let findings = self.map_obj(&ROOT, "findings")?;
        if self.doc.length(&findings) >= MAX_FINDINGS_PER_UNIT {
            return Err(DocError::Invalid(format!(
                "this unit already holds {MAX_FINDINGS_PER_UNIT} findings, the most one unit may hold"
            )));
        }
        if let Some(round) = &new.round {
            self.round(round)?;
        }
        let id = FindingId::random();
        let recorded = Event {
            id: EventId::random(),
            kind: EventKind::Recorded { origin: new.origin },
            actor: actor.clone(),
            at,
        };
        let finding = Finding {
            id: id.clone(),
            origin: new.origin,
            round: new.round,
            room: new.room,
            item: new.item,
            category: new.category,
            severity: new.severity,
            description: new.description,
            created_by: actor.clone(),
            created_at: at,
            evidence: BTreeMap::new(),
            events: vec![recorded],
            receipts: BTreeMap::new(),
            // The document replicates to every phone of the project: it holds the masked form
            // only, the full contact stays with the server (see `OwnerContact::masked`).
            owner: owner.map(|o| o.masked()),
        };
        self.begin(actor)?;
        reconcile_prop(&mut self.doc, &findings, id.as_str(), &finding)
            .map_err(|e| DocError::Invalid(format!("could not write finding: {e}")))?;
        commit(&mut self.doc, at, "record finding");
        Ok(id)
    }

    /// Changes one plain field of a finding and records the change (field, old → new) on its
    /// timeline in the same commit, so the office sees who changed what, when, on which
    /// device. Writing the value the field already holds changes nothing.
    pub fn edit_field(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        id: &FindingId,
        edit: FieldEdit,
    ) -> Result<(), DocError> {
        let finding = self.finding_obj(id)?;
        if let FieldEdit::Description(text) = &edit {
            check_text("the description", text, MAX_DESCRIPTION_CHARS)?;
        }
        let (field, key, to) = match edit {
            FieldEdit::Category(c) => (EditedField::Category, "category", c.as_str().to_owned()),
            FieldEdit::Severity(s) => (EditedField::Severity, "severity", s.as_str().to_owned()),
            FieldEdit::Description(d) => (EditedField::Description, "description", d),
        };
        let from = match self.doc.get(&finding, key)? {
            Some((v, _)) => v.as_str().unwrap_or_default().to_owned(),
            None => String::new(),
        };
        // Writing the value again still settles concurrent values of the field (a conflict).
        if from == to && self.doc.get_all(&finding, key)?.len() <= 1 {
            return Ok(());
        }
        let event = Event {
            id: EventId::random(),
            kind: EventKind::FieldEdited {
                field,
                from,
                to: to.clone(),
            },
            actor: actor.clone(),
            at,
        };
        self.check_event(&finding, &event)?;
        self.begin(actor)?;
        self.doc.put(&finding, key, to)?;
        self.insert_event(&finding, &event)?;
        commit(&mut self.doc, at, "edit finding");
        Ok(())
    }

    /// Attaches a photo or signature reference and records an `evidence_added` event.
    /// Attaching the same hash again is a no-op that returns `None`.
    pub fn attach_evidence(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        id: &FindingId,
        evidence: EvidenceRef,
    ) -> Result<Option<EventId>, DocError> {
        evidence.validate().map_err(DocError::Invalid)?;
        let finding = self.finding_obj(id)?;
        let map = self.map_obj(&finding, "evidence")?;
        if self.doc.get(&map, evidence.hash.as_str())?.is_some() {
            return Ok(None);
        }
        if self.doc.length(&map) >= MAX_EVIDENCE_PER_FINDING {
            return Err(DocError::Invalid(format!(
                "finding `{id}` already has {MAX_EVIDENCE_PER_FINDING} photos, the most one finding may have"
            )));
        }
        let event = Event {
            id: EventId::random(),
            kind: EventKind::EvidenceAdded {
                hash: evidence.hash.clone(),
            },
            actor: actor.clone(),
            at,
        };
        self.check_event(&finding, &event)?;
        self.begin(actor)?;
        self.doc
            .put(&map, evidence.hash.as_str(), seal(&evidence))?;
        let event_id = self.insert_event(&finding, &event)?;
        commit(&mut self.doc, at, "attach evidence");
        Ok(Some(event_id))
    }

    /// Appends a new event of `kind` to a finding's timeline.
    pub fn append_event(
        &mut self,
        actor: &Actor,
        at: Timestamp,
        id: &FindingId,
        kind: EventKind,
    ) -> Result<EventId, DocError> {
        let event = Event {
            id: EventId::random(),
            kind,
            actor: actor.clone(),
            at,
        };
        self.append(id, event)
    }

    /// Appends a complete event (with its own id). Appending an event whose id is already on
    /// the timeline is a no-op, so an office action retried with the same id counts once.
    pub fn append(&mut self, id: &FindingId, event: Event) -> Result<EventId, DocError> {
        let finding = self.finding_obj(id)?;
        self.check_event(&finding, &event)?;
        if self.holds_event(&finding, &event.id)? {
            return Ok(event.id);
        }
        self.begin(&event.actor)?;
        let event_id = self.insert_event(&finding, &event)?;
        commit(&mut self.doc, event.at, event.kind.name());
        Ok(event_id)
    }

    /// Appends several events, each to its finding, in one change: all of them or none. For an
    /// action that must never be seen half done, such as a merge (`merged_into` on one finding,
    /// `merged_from` on the other). Every event must be by the same actor; an event whose id is
    /// already on its timeline is skipped, so a retried action counts once.
    pub fn append_together(&mut self, events: Vec<(FindingId, Event)>) -> Result<(), DocError> {
        let Some((_, first)) = events.first() else {
            return Ok(());
        };
        let actor = first.actor.clone();
        let at = first.at;
        let mut fresh = Vec::with_capacity(events.len());
        for (id, event) in events {
            if event.actor != actor {
                return Err(DocError::Invalid(
                    "events appended together must all be by the same person and device".into(),
                ));
            }
            let finding = self.finding_obj(&id)?;
            self.check_event(&finding, &event)?;
            if !self.holds_event(&finding, &event.id)? {
                fresh.push((finding, event));
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        self.begin(&actor)?;
        let names: Vec<&str> = fresh.iter().map(|(_, e)| e.kind.name()).collect();
        let message = names.join(" + ");
        for (finding, event) in &fresh {
            self.insert_event(finding, event)?;
        }
        commit(&mut self.doc, at, &message);
        Ok(())
    }

    /// Records the server's receipt of an event. Written once: returns `false` (and changes
    /// nothing) when a receipt is already there.
    pub fn record_receipt(
        &mut self,
        server: &Actor,
        id: &FindingId,
        event: &EventId,
        receipt: Receipt,
    ) -> Result<bool, DocError> {
        let finding = self.finding_obj(id)?;
        let receipts = self.map_obj(&finding, "receipts")?;
        if self.doc.get(&receipts, event.as_str())?.is_some() {
            return Ok(false);
        }
        self.begin(server)?;
        self.doc.put(&receipts, event.as_str(), seal(&receipt))?;
        commit(&mut self.doc, receipt.received_at, "receipt");
        Ok(true)
    }

    /// Replaces a finding's owner contact by its masked form, as `server`: for a contact
    /// written in full before contacts moved to the server. Returns whether anything changed
    /// (a contact already masked, or none, is left alone).
    pub fn mask_owner(
        &mut self,
        server: &Actor,
        id: &FindingId,
        at: Timestamp,
    ) -> Result<bool, DocError> {
        let finding = self.finding_obj(id)?;
        let Some(owner) = self.finding(id)?.owner else {
            return Ok(false);
        };
        if owner.is_masked() {
            return Ok(false);
        }
        self.begin(server)?;
        self.doc.put(&finding, "owner", seal(&owner.masked()))?;
        commit(&mut self.doc, at, "mask owner contact");
        Ok(true)
    }

    /// Writes a signed walk ([`crate::doc::walk`]) under its own root key, once. The walk must
    /// hold together ([`SignedWalk::check`]), be for this unit, be by `actor`, and list only
    /// findings this document holds.
    pub fn sign_walk(&mut self, actor: &Actor, walk: &SignedWalk) -> Result<(), DocError> {
        walk.check().map_err(|e| DocError::Invalid(e.to_string()))?;
        if walk.snapshot.unit != self.unit_id()? {
            return Err(DocError::Invalid(format!(
                "walk `{}` is for unit `{}`, not this one",
                walk.id, walk.snapshot.unit
            )));
        }
        if &walk.signed_by != actor {
            return Err(DocError::Invalid(format!(
                "walk `{}` names `{}` as the inspector, not the person signing it in",
                walk.id, walk.signed_by.user
            )));
        }
        let findings = self.map_obj(&ROOT, "findings")?;
        for f in &walk.snapshot.findings {
            if self.doc.get(&findings, f.id.as_str())?.is_none() {
                return Err(DocError::NoSuchFinding(f.id.to_string()));
            }
        }
        let key = format!("{WALK_KEY_PREFIX}{}", walk.id);
        if self.doc.get(ROOT, key.as_str())?.is_some() {
            return Err(DocError::Invalid(format!(
                "walk `{}` is already signed; a signed walk is never rewritten",
                walk.id
            )));
        }
        if self.walk_keys().count() >= MAX_WALKS_PER_UNIT {
            return Err(DocError::Invalid(format!(
                "this unit already holds {MAX_WALKS_PER_UNIT} signed walks, the most one unit may hold"
            )));
        }
        self.begin(actor)?;
        self.doc.put(ROOT, key.as_str(), seal(walk))?;
        commit(&mut self.doc, walk.snapshot.signed_at, "sign walk");
        Ok(())
    }

    /// Every signed walk in the document, by id, each checked ([`SignedWalk::check`]).
    pub fn walks(&self) -> Result<BTreeMap<WalkId, SignedWalk>, DocError> {
        let mut out = BTreeMap::new();
        for key in self.walk_keys().collect::<Vec<_>>() {
            let text = match self.doc.get(ROOT, key.as_str())? {
                Some((Value::Scalar(s), _)) => s.as_str().map(str::to_owned),
                _ => None,
            }
            .ok_or_else(|| schema_error(format!("`{key}` is not a sealed walk")))?;
            let walk: SignedWalk =
                serde_json::from_str(&text).map_err(|e| schema_error(format!("`{key}`: {e}")))?;
            if key.strip_prefix(WALK_KEY_PREFIX) != Some(walk.id.as_str()) {
                return Err(schema_error(format!(
                    "`{key}` carries the walk `{}`",
                    walk.id
                )));
            }
            walk.check().map_err(|e| schema_error(e.to_string()))?;
            out.insert(walk.id.clone(), walk);
        }
        Ok(out)
    }

    fn walk_keys(&self) -> impl Iterator<Item = String> + '_ {
        self.doc
            .keys(ROOT)
            .filter(|k| k.starts_with(WALK_KEY_PREFIX))
    }

    fn check_event(&self, finding: &ObjId, event: &Event) -> Result<(), DocError> {
        crate::doc::bounds::check_event(&event.kind)
            .map_err(|e| DocError::Invalid(e.to_string()))?;
        let events = self.list_obj(finding, "events")?;
        if self.doc.length(&events) >= MAX_EVENTS_PER_FINDING {
            return Err(DocError::Invalid(format!(
                "this finding's timeline already holds {MAX_EVENTS_PER_FINDING} events, the most one finding may hold"
            )));
        }
        Ok(())
    }

    /// Whether the finding's timeline already holds an event with this id.
    fn holds_event(&self, finding: &ObjId, id: &EventId) -> Result<bool, DocError> {
        let events = self.list_obj(finding, "events")?;
        for i in 0..self.doc.length(&events) {
            if let Some((v, _)) = self.doc.get(&events, i)?
                && let Some(text) = v.as_str()
                && serde_json::from_str::<EventIdOnly>(text).is_ok_and(|e| &e.id == id)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn insert_event(&mut self, finding: &ObjId, event: &Event) -> Result<EventId, DocError> {
        let events = self.list_obj(finding, "events")?;
        let end = self.doc.length(&events);
        self.doc.insert(&events, end, seal(event))?;
        Ok(event.id.clone())
    }

    /// Prepares a write by `actor`: their device becomes the automerge actor, and the document
    /// learns who is behind the device.
    fn begin(&mut self, actor: &Actor) -> Result<(), DocError> {
        let actor_id = actor_for(&actor.device);
        if self.doc.get_actor() != &actor_id {
            // Close the previous writer's pending operations under its own actor first.
            self.doc.commit();
            self.doc.set_actor(actor_id);
        }
        let editors = self.map_obj(&ROOT, "editors")?;
        let known = match self.doc.get(&editors, actor.device.as_str())? {
            Some((v, _)) => v.as_str() == Some(actor.user.as_str()),
            None => false,
        };
        if !known {
            self.doc
                .put(&editors, actor.device.as_str(), actor.user.as_str())?;
        }
        Ok(())
    }

    fn finding_obj(&self, id: &FindingId) -> Result<ObjId, DocError> {
        let findings = self.map_obj(&ROOT, "findings")?;
        match self.doc.get(&findings, id.as_str())? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            Some(_) => Err(schema_error(format!("finding `{id}` is not a map"))),
            None => Err(DocError::NoSuchFinding(id.to_string())),
        }
    }

    fn map_obj(&self, parent: &ObjId, key: &str) -> Result<ObjId, DocError> {
        match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::Map), obj)) => Ok(obj),
            _ => Err(schema_error(format!("`{key}` is missing or not a map"))),
        }
    }

    fn list_obj(&self, parent: &ObjId, key: &str) -> Result<ObjId, DocError> {
        match self.doc.get(parent, key)? {
            Some((Value::Object(ObjType::List), obj)) => Ok(obj),
            _ => Err(schema_error(format!("`{key}` is missing or not a list"))),
        }
    }
}
