//! The walk screen's view model: the findings on the list and the walks signed before, in
//! words.

use plumbline_shared::doc::evidence::EvidenceKind;
use plumbline_shared::doc::finding::Finding;
use plumbline_shared::template::ChecklistTemplate;

use crate::ui::i18n::Lang;
use crate::ui::screens::walk::{SignedLine, WalkLine};
use plumbline_shared::doc::walk::WalkStatus;

/// The findings the owner reviews, in the order the engine lists them.
pub fn walk_lines(findings: &[Finding], template: &ChecklistTemplate, lang: Lang) -> Vec<WalkLine> {
    findings
        .iter()
        .map(|f| {
            let room = template.room(&f.room).map_or_else(
                || f.room.to_string(),
                |r| lang.pick(&r.zh, &r.en).to_owned(),
            );
            let item = template.item(&f.item).map_or_else(
                || f.item.to_string(),
                |(_, i)| lang.pick(&i.zh, &i.en).to_owned(),
            );
            WalkLine {
                place: format!("{room} / {item}"),
                description: f.description.clone(),
                severity: lang
                    .pick(f.severity.label_zh(), f.severity.label_en())
                    .to_owned(),
                photos: f
                    .evidence
                    .values()
                    .filter(|e| e.kind == EvidenceKind::Photo)
                    .count(),
            }
        })
        .collect()
}

/// The walks signed before, newest first.
pub fn signed_lines(walks: &[WalkStatus]) -> Vec<SignedLine> {
    walks
        .iter()
        .rev()
        .map(|w| SignedLine {
            version: w.version,
            signed_at: w.walk.snapshot.signed_at.china_minute(),
            owner: format!(
                "{} · {}",
                w.walk.snapshot.owner.name, w.walk.snapshot.owner.phone
            ),
            hash: w.walk.snapshot_hash.chars().take(16).collect(),
            changed: !w.changes.is_empty(),
        })
        .collect()
}
