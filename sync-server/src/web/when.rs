//! Times as the office reads them: Beijing time, whatever the server's zone, and spans of time
//! in words ("1 小时 20 分").

use plumbline_shared::time::{DAY_MS, HOUR_MS, MINUTE_MS, Timestamp};

use super::i18n::Lang;

/// Beijing time, to the minute.
pub fn beijing(t: Timestamp) -> String {
    t.china_minute()
}

/// A span of time in the two largest units that matter, rounded down to the minute: "2 天 3
/// 小时", "1 小时 20 分", "35 分钟", "不到 1 分钟" (English: "2 d 3 h", "1 h 20 min"). A
/// negative span reads as its size.
pub fn duration_text(lang: Lang, ms: i64) -> String {
    let ms = ms.saturating_abs();
    let (days, hours, minutes) = (ms / DAY_MS, ms % DAY_MS / HOUR_MS, ms % HOUR_MS / MINUTE_MS);
    match lang {
        Lang::Zh => match (days, hours, minutes) {
            (0, 0, 0) => "不到 1 分钟".to_owned(),
            (0, 0, m) => format!("{m} 分钟"),
            (0, h, 0) => format!("{h} 小时"),
            (0, h, m) => format!("{h} 小时 {m} 分"),
            (d, 0, _) => format!("{d} 天"),
            (d, h, _) => format!("{d} 天 {h} 小时"),
        },
        Lang::En => match (days, hours, minutes) {
            (0, 0, 0) => "under a minute".to_owned(),
            (0, 0, m) => format!("{m} min"),
            (0, h, 0) => format!("{h} h"),
            (0, h, m) => format!("{h} h {m} min"),
            (d, 0, _) => format!("{d} d"),
            (d, h, _) => format!("{d} d {h} h"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_the_two_largest_units() {
        let cases = [
            (0, "不到 1 分钟", "under a minute"),
            (59_999, "不到 1 分钟", "under a minute"),
            (35 * MINUTE_MS, "35 分钟", "35 min"),
            (-35 * MINUTE_MS - 5_000, "35 分钟", "35 min"),
            (HOUR_MS, "1 小时", "1 h"),
            (HOUR_MS + 20 * MINUTE_MS, "1 小时 20 分", "1 h 20 min"),
            (
                2 * DAY_MS + 3 * HOUR_MS + 59 * MINUTE_MS,
                "2 天 3 小时",
                "2 d 3 h",
            ),
            (3 * DAY_MS + 10 * MINUTE_MS, "3 天", "3 d"),
        ];
        for (ms, zh, en) in cases {
            assert_eq!(duration_text(Lang::Zh, ms), zh, "{ms} ms");
            assert_eq!(duration_text(Lang::En, ms), en, "{ms} ms");
        }
    }
}
