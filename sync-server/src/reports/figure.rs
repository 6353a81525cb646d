//! A report figure and the cases behind it.
//!
//! Every number on a report page is a [`Figure`] kept under a stable key (`intake`,
//! `score.<contractor>.response_missed`, …; the keys are listed in `docs/reports.md`). The
//! figure holds the exact value and the set of cases it was counted from, so the page's link
//! to "the cases behind this number" lists exactly what was counted: the list recomputes the
//! report and looks the key up, rather than re-expressing the figure as a filter that could
//! drift from it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use plumbline_shared::ids::FindingId;

/// How a figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// A count (cases, notices, units, callbacks…).
    Count(u64),
    /// Money in fen.
    Money(i64),
    /// A share or rate, `part / whole`, shown as a percentage.
    Share {
        /// The part.
        part: u64,
        /// The whole (0: no share, shown as "—").
        whole: u64,
    },
    /// A mean duration, `total_ms / n`, shown in hours or days.
    Mean {
        /// Sum of the durations, in milliseconds.
        total_ms: i64,
        /// How many durations.
        n: u64,
        /// Shown in days rather than hours.
        days: bool,
    },
}

impl Value {
    /// The exact value, for machines (the page's `data-value`): integers for counts and fen,
    /// `part/whole` and `total_ms/n` for shares and means, so nothing is lost to rounding.
    pub fn exact(self) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Money(fen) => fen.to_string(),
            Value::Share { part, whole } => format!("{part}/{whole}"),
            Value::Mean { total_ms, n, .. } => format!("{total_ms}/{n}"),
        }
    }

    /// The value as people read it: `12`, `¥5,000.00`, `12.5%`, `3.2 天` / `3.2 h`; "—" when
    /// a share or mean has nothing to divide by.
    pub fn shown(self, english: bool) -> String {
        match self {
            Value::Count(n) => n.to_string(),
            Value::Money(fen) => format!("¥{}", plumbline_shared::money::yuan(fen)),
            Value::Share { whole: 0, .. } | Value::Mean { n: 0, .. } => "—".to_owned(),
            Value::Share { part, whole } => {
                format!("{:.1}%", part as f64 * 100.0 / whole as f64)
            }
            Value::Mean { total_ms, n, days } => {
                let hours = total_ms as f64 / n as f64 / plumbline_shared::time::HOUR_MS as f64;
                match (days, english) {
                    (true, true) => format!("{:.1} d", hours / 24.0),
                    (true, false) => format!("{:.1} 天", hours / 24.0),
                    (false, true) => format!("{hours:.1} h"),
                    (false, false) => format!("{hours:.1} 小时"),
                }
            }
        }
    }

    /// The value as a number, for charts (a share in percent, a mean in its unit).
    pub fn number(self) -> f64 {
        match self {
            Value::Count(n) => n as f64,
            Value::Money(fen) => fen as f64 / 100.0,
            Value::Share { whole: 0, .. } | Value::Mean { n: 0, .. } => 0.0,
            Value::Share { part, whole } => part as f64 * 100.0 / whole as f64,
            Value::Mean { total_ms, n, days } => {
                let unit = if days {
                    plumbline_shared::time::DAY_MS
                } else {
                    plumbline_shared::time::HOUR_MS
                };
                total_ms as f64 / n as f64 / unit as f64
            }
        }
    }
}

/// One figure: its value and the cases it was counted from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// The value.
    pub value: Value,
    /// The cases behind it.
    pub cases: BTreeSet<FindingId>,
}

/// Every figure of a computed report, by key. Each figure is shared (`Arc`): a kept month's
/// figures are copied into every report read from it, and their case lists are most of a
/// report's memory.
#[derive(Debug, Clone, Default)]
pub struct Figures(BTreeMap<String, Arc<Figure>>);

impl Figures {
    /// Keeps a figure under `key` (replacing any earlier one) and returns the key.
    pub fn put(
        &mut self,
        key: impl Into<String>,
        value: Value,
        cases: impl IntoIterator<Item = FindingId>,
    ) -> String {
        let key = key.into();
        self.0.insert(
            key.clone(),
            Arc::new(Figure {
                value,
                cases: cases.into_iter().collect(),
            }),
        );
        key
    }

    /// Keeps a count of `cases` under `key`: the common figure whose value is its list's
    /// length.
    pub fn count(&mut self, key: impl Into<String>, cases: &BTreeSet<FindingId>) -> String {
        self.put(key, Value::Count(cases.len() as u64), cases.iter().cloned())
    }

    /// The figure under `key`.
    pub fn get(&self, key: &str) -> Option<&Figure> {
        self.0.get(key).map(|f| &**f)
    }

    /// Every figure, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Figure)> {
        self.0.iter().map(|(k, f)| (k, &**f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_values_lose_nothing_and_shown_values_read_well() {
        let share = Value::Share { part: 1, whole: 3 };
        assert_eq!(share.exact(), "1/3");
        assert_eq!(share.shown(false), "33.3%");
        assert_eq!(Value::Share { part: 0, whole: 0 }.shown(true), "—");
        let mean = Value::Mean {
            total_ms: 3 * plumbline_shared::time::HOUR_MS,
            n: 2,
            days: false,
        };
        assert_eq!(
            mean.exact(),
            format!("{}/2", 3 * plumbline_shared::time::HOUR_MS)
        );
        assert_eq!(mean.shown(true), "1.5 h");
        assert_eq!(mean.shown(false), "1.5 小时");
        assert!((mean.number() - 1.5).abs() < 1e-9);
    }
}
