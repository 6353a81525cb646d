//! What a device may change: incoming changes are applied to a scratch copy of the document and
//! the two versions compared before anything is stored.
//!
//! The rules follow DESIGN.md: documents are the truth, so the server is the one place where a
//! forged change can be stopped. A batch is refused whole when any of these fail:
//!
//! 1. Every new change is signed by the sending device (its automerge actor id): a device
//!    cannot pass off changes as another device's.
//! 2. The result still fits the unit schema.
//! 3. The unit's identity (schema, project, unit) is unchanged.
//! 4. Nothing is removed: findings, evidence, events and receipts are append-only, and events
//!    and evidence are never rewritten.
//! 5. Each new event is by this device's user in their role in this project, and that role may
//!    append that kind of event (`EventKind::allowed_roles`): an inspector cannot approve a fine,
//!    a contractor cannot accept its own repair.
//! 6. Receipts are the server's alone.
//! 7. Notices and fine slips carry numbers that only the server issues
//!    (`EventKind::numbered_by_server`): no device appends them.
//! 8. Plain fields (category, severity, description) may be edited by office and inspection
//!    roles; the rest of a finding (the owner's contact included) is written once, and a
//!    device writes no owner's contact at all (the office takes it; the server masks it).
//!
//! 9. Counts and photo references keep the app's bounds: a batch adds at most what the app
//!    allows (2,000 findings a unit, 60 photos and 500 events a finding), the stored total stays
//!    within twice that (devices offline together may pass the app's limit), and every new photo
//!    reference is filed under its own hash with plausible size, pixels, place and pin.
//!
//! 10. An owner's signed walk is written once, by the person who walked, and lists only this
//!     unit's findings and their photos.
//!
//! Contractor devices do not write unit documents at all: a unit document holds other
//! companies' findings, so contractors act through their own endpoint, where the server writes
//! the event for them after checking the finding is assigned to their company.

use std::collections::BTreeMap;

use crate::doc::finding::Finding;
use crate::doc::project::ProjectDoc;
use crate::doc::unit::{UnitDoc, UnitRecord};
use crate::doc::walk::{MAX_WALKS_PER_UNIT, SignedWalk, has_held};
use crate::doc::{
    MAX_DESCRIPTION_CHARS, MAX_EVENTS_PER_FINDING, MAX_EVIDENCE_PER_FINDING, MAX_FINDINGS_PER_UNIT,
    actor_for, bounds,
};
use crate::event::{EditedField, Event, EventKind};
use crate::ids::{EventId, ProjectId, WalkId};
use crate::project::Project;
use crate::role::{Actor, Role};
use crate::template;
use crate::time::Timestamp;
use automerge::Change;

use crate::role::Identity;

/// Why a batch was refused, in words for the person whose device sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

fn refuse<T>(msg: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(msg.into()))
}

/// Checks a project document as a device's changes would leave it: only the project's
/// administrators change it, and it must still read as this project with workflow settings
/// within their bounds (the same check the settings page makes). Returns the project.
pub fn project_changes(
    identity: &Identity,
    project: &ProjectId,
    after: &automerge::AutoCommit,
) -> Result<Project, Refusal> {
    match identity.membership(project) {
        Some(m) if m.role == Role::Admin => {}
        _ => return refuse("only administrators change project documents"),
    }
    let changed = ProjectDoc::from_automerge(after.clone())
        .and_then(|doc| doc.project())
        .map_err(|e| {
            Refusal(format!(
                "the project document no longer reads as a project: {e}"
            ))
        })?;
    if &changed.id != project {
        return refuse(format!(
            "the project document of `{project}` may not name another project (`{}`)",
            changed.id
        ));
    }
    changed
        .workflow
        .check()
        .map_err(|e| Refusal(format!("the project's workflow settings: {e}")))?;
    Ok(changed)
}

/// Roles that may edit a finding's plain fields.
const FIELD_EDITORS: &[Role] = &[
    Role::Inspector,
    Role::Manager,
    Role::Coordinator,
    Role::FrontDesk,
    Role::CustomerRep,
];

/// The actor an identity writes as in `project`, when it may write there at all.
pub fn actor_in(identity: &Identity, project: &ProjectId) -> Option<Actor> {
    identity.membership(project).map(|m| Actor {
        user: identity.user.clone(),
        role: m.role,
        device: identity.device.clone(),
    })
}

/// Checks what `changes` (already applied to `after`) do to `before`, for a device of `identity`.
/// Returns both versions as read, so that the caller does not read them again.
pub fn unit_changes(
    identity: &Identity,
    project: &ProjectId,
    before: &UnitDoc,
    after: &UnitDoc,
    changes: &[Change],
    received: Timestamp,
) -> Result<(UnitRecord, UnitRecord), Refusal> {
    let Some(actor) = actor_in(identity, project) else {
        return refuse(format!("your account has no role in project `{project}`"));
    };
    if actor.role == Role::Contractor {
        return refuse(
            "contractor devices change findings through the contractor endpoint, not by syncing unit documents",
        );
    }
    let own = actor_for(&identity.device);
    if let Some(c) = changes.iter().find(|c| c.actor_id() != &own) {
        // Actor ids are the device id's bytes (see `actor_for`): name the device when they
        // spell one, else show the bytes.
        let signer = std::str::from_utf8(c.actor_id().to_bytes())
            .map(|d| format!("device `{d}`"))
            .unwrap_or_else(|_| format!("actor {}", c.actor_id()));
        return refuse(format!(
            "a change is signed by {signer}, not by this device (`{}`); a device may only send \
             its own changes, with its device id as the automerge actor id",
            identity.device
        ));
    }
    after
        .validate()
        .map_err(|e| Refusal(format!("the changes break the unit document: {e}")))?;
    let walks_before = before
        .walks()
        .map_err(|e| Refusal(format!("the stored document does not read: {e}")))?;
    let walks_after = after
        .walks()
        .map_err(|e| Refusal(format!("the changes break the unit document: {e}")))?;
    let before = before
        .read()
        .map_err(|e| Refusal(format!("the stored document does not read: {e}")))?;
    let after = after
        .read()
        .map_err(|e| Refusal(format!("the changes break the unit document: {e}")))?;
    compare(&actor, &before, &after, received)?;
    walk_changes(&actor, &walks_before, &walks_after, &after, received)?;
    Ok((before, after))
}

fn compare(
    actor: &Actor,
    before: &UnitRecord,
    after: &UnitRecord,
    received: Timestamp,
) -> Result<(), Refusal> {
    if before.schema != after.schema || before.project != after.project || before.unit != after.unit
    {
        return refuse("the changes rewrite which unit this document is for");
    }
    for (device, user) in &after.editors {
        if before.editors.get(device) != Some(user)
            && (device != &actor.device || user != &actor.user)
        {
            return refuse(format!(
                "the changes name `{user}` as the person behind device `{device}`"
            ));
        }
    }
    if after.rounds != before.rounds && !matches!(actor.role, Role::Inspector | Role::Manager) {
        return refuse(format!(
            "a {} may not record inspection rounds",
            actor.role.label_en().to_lowercase()
        ));
    }
    for (id, old) in &before.findings {
        let Some(new) = after.findings.get(id) else {
            return refuse(format!(
                "the changes delete finding `{id}`; findings are never deleted"
            ));
        };
        finding_changes(actor, Some(old), new, received)?;
    }
    for (id, new) in &after.findings {
        if !before.findings.contains_key(id) {
            finding_changes(actor, None, new, received)?;
        }
    }
    over_count(
        "this unit",
        "findings",
        before.findings.len(),
        after.findings.len(),
        MAX_FINDINGS_PER_UNIT,
    )
}

/// The counts the app stops at when it writes (`limit`), so that a client that does not stop
/// cannot grow a document without end, one accepted batch at a time. A device adds at most
/// `limit` in one batch (it stops there on its own copy); devices offline at the same time may
/// together pass the limit, each within it on its own copy, so the stored total may reach twice
/// the limit before a batch that grows it is refused.
fn over_count(
    whose: &str,
    what: &str,
    before: usize,
    after: usize,
    limit: usize,
) -> Result<(), Refusal> {
    if after <= before {
        return Ok(());
    }
    if after - before > limit || after > 2 * limit {
        return refuse(format!(
            "{whose} would hold {after} {what}; the app stops at {limit}, and more than {} \
             are never kept",
            2 * limit
        ));
    }
    Ok(())
}

/// Signed walks (业主陪验) are written once: none is changed or removed, and a new one is by
/// this device's person, signed within plausible time, and lists findings of this unit as they
/// were recorded (room and item) with photos those findings hold. The walk's own consistency
/// (its hash, the masked owner, the signature reference) was checked when the document was
/// validated ([`crate::doc::walk::SignedWalk::check`]).
fn walk_changes(
    actor: &Actor,
    before: &BTreeMap<WalkId, SignedWalk>,
    after: &BTreeMap<WalkId, SignedWalk>,
    unit: &UnitRecord,
    received: Timestamp,
) -> Result<(), Refusal> {
    for (id, old) in before {
        if after.get(id) != Some(old) {
            return refuse(format!(
                "the changes rewrite or remove the owner's signed walk `{id}`; what an owner signed is never changed"
            ));
        }
    }
    let fresh: Vec<_> = after
        .iter()
        .filter(|(id, _)| !before.contains_key(*id))
        .collect();
    if !fresh.is_empty() && after.len() > MAX_WALKS_PER_UNIT {
        return refuse(format!(
            "this unit would hold {} signed walks; a unit holds at most {MAX_WALKS_PER_UNIT}",
            after.len()
        ));
    }
    for (id, walk) in fresh {
        let sig = &walk.signature;
        if &walk.signed_by != actor || sig.device != actor.device || sig.author != actor.user {
            return refuse(format!(
                "walk `{id}` claims to be signed with `{}` on device `{}`, not with you on this device",
                walk.signed_by.user, sig.device
            ));
        }
        bounds::check_times(
            "the time the signature was drawn",
            sig.captured_at,
            None,
            received,
        )
        .map_err(|e| Refusal(format!("walk `{id}`: {e}")))?;
        // A signature is drawn for one walk: an earlier walk's (or a photo) is not reused
        // under another list.
        let reused = after
            .values()
            .any(|w| w.id != walk.id && w.signature.hash == sig.hash)
            || unit
                .findings
                .values()
                .any(|f| f.evidence.contains_key(&sig.hash));
        if reused {
            return refuse(format!(
                "walk `{id}` reuses the image {} of another walk or finding; an owner signs each walk anew",
                sig.hash
            ));
        }
        if walk.snapshot.unit != unit.unit {
            return refuse(format!(
                "walk `{id}` is for unit `{}`, not this one",
                walk.snapshot.unit
            ));
        }
        bounds::check_times(
            "the time the owner signed",
            walk.snapshot.signed_at,
            None,
            received,
        )
        .map_err(|e| Refusal(format!("walk `{id}`: {e}")))?;
        for signed in &walk.snapshot.findings {
            let Some(f) = unit.findings.get(&signed.id) else {
                return refuse(format!(
                    "walk `{id}` lists finding `{}`, which this unit does not hold",
                    signed.id
                ));
            };
            if f.room != signed.room || f.item != signed.item {
                return refuse(format!(
                    "walk `{id}` lists finding `{}` in another room or item than it was recorded in",
                    signed.id
                ));
            }
            // Only values the finding really held: the snapshot cannot show a description,
            // severity or category nobody ever wrote (every edit is on the timeline).
            let held = has_held(f, EditedField::Category, signed.category.as_str())
                && has_held(f, EditedField::Severity, signed.severity.as_str())
                && has_held(f, EditedField::Description, &signed.description);
            if !held {
                return refuse(format!(
                    "walk `{id}` shows finding `{}` with a category, severity or description it never had",
                    signed.id
                ));
            }
            if let Some(photo) = signed.photos.iter().find(|h| !f.evidence.contains_key(*h)) {
                return refuse(format!(
                    "walk `{id}` lists photo {photo} on finding `{}`, which does not hold it",
                    signed.id
                ));
            }
        }
    }
    Ok(())
}

fn finding_changes(
    actor: &Actor,
    old: Option<&Finding>,
    new: &Finding,
    received: Timestamp,
) -> Result<(), Refusal> {
    let id = &new.id;
    let bounded = |e: bounds::ContentError| Refusal(format!("finding `{id}`: {e}"));
    // The same bounds as the phone's and the office's own writes, on what this change brings.
    if old.is_none_or(|o| o.description != new.description) {
        bounds::check_text("the description", &new.description, MAX_DESCRIPTION_CHARS)
            .map_err(bounded)?;
    }
    if old.is_none() {
        bounds::check_times("the time it was recorded", new.created_at, None, received)
            .map_err(bounded)?;
    }
    match old {
        None => {
            if new.created_by != *actor {
                return refuse(format!(
                    "finding `{id}` claims to be recorded by `{}`, not by you",
                    new.created_by.user
                ));
            }
            template::of_project()
                .check_place(&new.room, &new.item, &new.category)
                .map_err(|e| Refusal(format!("finding `{id}`: {e}")))?;
            // Contacts are taken on the office pages and kept on the server; the document's
            // masked form is the server's to write. A device writes none, full or "masked".
            if new.owner.is_some() {
                return refuse(format!(
                    "finding `{id}`: an owner's contact is taken on the office pages and kept \
                     on the server; a device does not write one"
                ));
            }
        }
        Some(old) => {
            let fixed = old.origin == new.origin
                && old.round == new.round
                && old.room == new.room
                && old.item == new.item
                && old.created_by == new.created_by
                && old.created_at == new.created_at;
            if !fixed {
                return refuse(format!(
                    "finding `{id}`: where and by whom it was recorded cannot change"
                ));
            }
            // Written once with the complaint, like its origin: a later edit from a device
            // could silently send the callback to someone else.
            if old.owner != new.owner {
                return refuse(format!(
                    "finding `{id}`: the owner's contact is written once, with the finding"
                ));
            }
            if old.category != new.category
                && template::of_project().category(&new.category).is_none()
            {
                return refuse(format!(
                    "finding `{id}`: category `{}` is not on the checklist",
                    new.category
                ));
            }
            let edited = changed_fields(old, new);
            if !edited.is_empty() && !FIELD_EDITORS.contains(&actor.role) {
                return refuse(format!(
                    "a {} may not edit findings",
                    actor.role.label_en().to_lowercase()
                ));
            }
            if old.receipts != new.receipts {
                return refuse(format!(
                    "finding `{id}`: receipts are written by the server only"
                ));
            }
            for (hash, evidence) in &old.evidence {
                if new.evidence.get(hash) != Some(evidence) {
                    return refuse(format!(
                        "finding `{id}`: evidence {hash} was removed or rewritten; evidence is never changed"
                    ));
                }
            }
        }
    }
    if old.is_none() && !new.receipts.is_empty() {
        return refuse(format!(
            "finding `{id}`: receipts are written by the server only"
        ));
    }
    let whose = format!("finding `{id}`");
    over_count(
        &whose,
        "photos",
        old.map_or(0, |o| o.evidence.len()),
        new.evidence.len(),
        MAX_EVIDENCE_PER_FINDING,
    )?;
    over_count(
        &whose,
        "events",
        old.map_or(0, |o| o.events.len()),
        new.events.len(),
        MAX_EVENTS_PER_FINDING,
    )?;
    for (hash, evidence) in &new.evidence {
        let known = old.is_some_and(|o| o.evidence.contains_key(hash));
        if known {
            continue;
        }
        if evidence.device != actor.device || evidence.author != actor.user {
            return refuse(format!(
                "finding `{id}`: evidence {hash} claims another author or device"
            ));
        }
        if evidence.hash != *hash {
            return refuse(format!(
                "finding `{id}`: evidence is filed under {hash} but names {}",
                evidence.hash
            ));
        }
        // Size, pixels, place and pin: the same check the app makes before attaching it.
        evidence
            .validate()
            .map_err(|why| Refusal(format!("finding `{id}`: {why}")))?;
    }
    let old_events: BTreeMap<&EventId, &Event> = old
        .map(|o| o.events.iter().map(|e| (&e.id, e)).collect())
        .unwrap_or_default();
    let new_events: BTreeMap<&EventId, &Event> = new.events.iter().map(|e| (&e.id, e)).collect();
    for (eid, e) in &old_events {
        if new_events.get(eid) != Some(e) {
            return refuse(format!(
                "finding `{id}`: event `{eid}` was removed or rewritten; the timeline is append-only"
            ));
        }
    }
    if let Some(old) = old {
        // Every changed field is on the timeline, recorded by the device that changed it.
        for field in changed_fields(old, new) {
            let recorded = new_events.iter().any(|(eid, e)| {
                !old_events.contains_key(eid)
                    && matches!(&e.kind, EventKind::FieldEdited { field: f, .. } if *f == field)
            });
            if !recorded {
                return refuse(format!(
                    "finding `{id}`: its {} changed without a `field_edited` event on its timeline; \
                     update the app",
                    field.label_en().to_lowercase()
                ));
            }
        }
    }
    for (eid, e) in &new_events {
        if old_events.contains_key(eid) {
            continue;
        }
        bounds::check_event(&e.kind).map_err(bounded)?;
        bounds::check_times("the event's time", e.at, Some(&e.kind), received).map_err(bounded)?;
        if e.actor != *actor {
            return refuse(format!(
                "finding `{id}`: event `{eid}` claims to be by {} as {}, not by you as {}",
                e.actor.user, e.actor.role, actor.role
            ));
        }
        if e.kind.numbered_by_server() {
            return refuse(format!(
                "finding `{id}`: `{}` carries a number the office issues; notices and fine slips \
                 are issued on the office pages, not by a device",
                e.kind.name()
            ));
        }
        if !e.kind.allows(actor.role) {
            return refuse(format!(
                "a {} may not record `{}` (finding `{id}`)",
                actor.role.label_en().to_lowercase(),
                e.kind.name()
            ));
        }
    }
    Ok(())
}

/// The plain fields whose value differs between two versions of a finding.
fn changed_fields(old: &Finding, new: &Finding) -> Vec<EditedField> {
    [
        (EditedField::Category, old.category != new.category),
        (EditedField::Severity, old.severity != new.severity),
        (EditedField::Description, old.description != new.description),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::over_count;

    #[test]
    fn a_count_may_pass_the_apps_limit_by_merging_but_not_by_one_batch_or_past_twice() {
        // Two phones offline together each added two photos to a finding at 58.
        assert!(over_count("f", "photos", 60, 62, 60).is_ok());
        // One batch adding more than the app ever would.
        let why = over_count("f", "photos", 0, 61, 60).unwrap_err().0;
        assert!(
            why.contains("would hold 61 photos; the app stops at 60"),
            "{why}"
        );
        // Past twice the limit, however it got there.
        assert!(over_count("f", "photos", 119, 121, 60).is_err());
        // Nothing added is never refused, even where an older document is past the limit.
        assert!(over_count("f", "photos", 130, 130, 60).is_ok());
    }
}
