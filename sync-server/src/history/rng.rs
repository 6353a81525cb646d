//! The script's randomness and its calendar months, both independent of the machine.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use plumbline_shared::time::Timestamp;

// ---------------------------------------------------------------------------------------------
// Randomness and months
// ---------------------------------------------------------------------------------------------

/// splitmix64: small, fast, and the same on every machine for the same seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(hi > lo, "empty range {lo}..{hi}");
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// An index below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// An index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.next_u64() % total;
        for (i, w) in weights.iter().enumerate() {
            if x < u64::from(*w) {
                return i;
            }
            x -= u64::from(*w);
        }
        weights.len() - 1
    }
}

/// A calendar month in Beijing time (UTC+8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// The month `t` falls in, in Beijing time.
    pub fn containing(t: i64) -> Self {
        let date = Timestamp(t).date_cst();
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn minus(self, n: u32) -> Self {
        (0..n).fold(self, |m, _| m.previous())
    }

    /// The 1st, 00:00 Beijing time (the previous day, 16:00 UTC), in ms.
    pub fn start(self) -> i64 {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a valid month");
        Timestamp::start_of_day_cst(first).0
    }

    /// The next month's start: the first instant not in this month.
    pub fn end(self) -> i64 {
        self.next().start()
    }

    pub fn contains(self, t: i64) -> bool {
        (self.start()..self.end()).contains(&t)
    }

    /// `YYYY-MM`, as the `month` parameter takes it.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}
