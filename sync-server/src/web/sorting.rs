//! Sorting the case list: `?sort=<key>` sorts ascending, `?sort=-<key>` descending, for the keys
//! `created`, `severity`, `status`, `deadline` (the repair deadline) and `unit`. No `sort` means
//! newest first, the list's order from before it could be sorted.
//!
//! The value rides in the list's own address ([`super::cases::ListQuery::link`]), so the next
//! page, a changed filter and the exports keep it; the column headers are links that sort by
//! their column, and a second click turns the order round.

use super::i18n::Lang;
use crate::store::{CaseOrder, SortKey};

/// Every key with its name in the address.
pub const KEYS: [(SortKey, &str); 5] = [
    (SortKey::Created, "created"),
    (SortKey::Severity, "severity"),
    (SortKey::Status, "status"),
    (SortKey::Deadline, "deadline"),
    (SortKey::Unit, "unit"),
];

fn name(key: SortKey) -> &'static str {
    KEYS.iter()
        .find(|(k, _)| *k == key)
        .map_or("created", |(_, n)| n)
}

/// The order a `sort` value asks for; an empty value is the default order. An unknown value is
/// answered with the sentence that names it and lists the ones that work.
pub fn parse(value: &str, lang: Lang) -> Result<CaseOrder, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(CaseOrder::default());
    }
    let (descending, wanted) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    match KEYS.iter().find(|(_, n)| *n == wanted) {
        Some((key, _)) => Ok(CaseOrder {
            key: *key,
            descending,
        }),
        None => {
            let known = KEYS
                .iter()
                .map(|(_, n)| format!("{n}、-{n}"))
                .collect::<Vec<_>>()
                .join("、");
            let shown: String = value.chars().take(40).collect();
            Err(lang
                .pick(
                    &format!("排序方式“{shown}”无效，可用：{known}（“-”表示倒序）。"),
                    &format!(
                        "The sort order `{shown}` is not known; use one of {} (`-` sorts \
                         descending).",
                        known.replace('、', ", ")
                    ),
                )
                .to_owned())
        }
    }
}

/// The `sort` value of an order (empty for the default, so default addresses stay short).
pub fn code(order: CaseOrder) -> String {
    if order == CaseOrder::default() {
        return String::new();
    }
    let dash = if order.descending { "-" } else { "" };
    format!("{dash}{}", name(order.key))
}

/// The `sort` value behind a column header: this column ascending, or, when the list is
/// already sorted by it, the other way round.
pub fn toggled(current: CaseOrder, key: SortKey) -> String {
    let descending = current.key == key && !current.descending;
    code(CaseOrder { key, descending })
}

/// The mark beside the header of the column the list is sorted by.
pub fn mark(current: CaseOrder, key: SortKey) -> &'static str {
    match (current.key == key, current.descending) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_key_reads_back_in_both_directions_and_unknown_ones_are_named() {
        assert_eq!(parse("", Lang::Zh).unwrap(), CaseOrder::default());
        for (key, _) in KEYS {
            for descending in [false, true] {
                let order = CaseOrder { key, descending };
                let text = code(order);
                assert_eq!(parse(&text, Lang::En).unwrap(), order, "{text}");
            }
        }
        let refused = parse("colour", Lang::En).unwrap_err();
        assert!(
            refused.contains("`colour`") && refused.contains("-deadline"),
            "{refused}"
        );
        assert!(parse("--unit", Lang::Zh).is_err());
    }

    #[test]
    fn a_header_sorts_ascending_first_then_turns_round() {
        let by_unit = CaseOrder {
            key: SortKey::Unit,
            descending: false,
        };
        assert_eq!(toggled(CaseOrder::default(), SortKey::Unit), "unit");
        assert_eq!(toggled(by_unit, SortKey::Unit), "-unit");
        // The default is newest first: its header's click gives oldest first.
        assert_eq!(toggled(CaseOrder::default(), SortKey::Created), "created");
        assert_eq!(mark(by_unit, SortKey::Unit), " ▲");
        assert_eq!(mark(by_unit, SortKey::Status), "");
    }
}
