//! Dates as the office writes and picks them, with no script on the page.
//!
//! A browser's own date control follows the browser's language, not the page's: an English
//! Chromium shows `mm/dd/yyyy` on a Chinese page, and the pages run no script that could draw
//! a calendar of their own. So a date field is text, shown the way Chinese offices write dates
//! (`2026-12-07`), with the browser's suggestion list offering the days people pick most
//! (今天, 昨天, 本周一, 本月1日 … or, for a deadline, 明天, 下周一 …). What a clerk types is read
//! generously: `2026-12-07`, `2026/12/7`, `2026.12.7`, `2026年12月7日`, `20261207`, with
//! full-width digits too, and a time as `14:30` or `14时30分`.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveTime};
use dioxus::prelude::*;

use super::i18n::Lang;

/// The years a date field accepts: anything else is a typing slip.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// A day as the fields show it.
pub fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Full-width digits and separators (a Chinese input method's) as their ASCII forms, and the
/// Chinese date and time words as separators: `２０２６年12月7日 14时30分` → `2026-12-7 14:30:`.
fn normalised(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '年' | '月' | '/' | '.' | '／' | '－' | '．' => '-',
            '日' | '号' | 'T' | '\u{3000}' => ' ',
            '时' | '点' | '：' => ':',
            '分' => ' ',
            c => c,
        })
        .collect()
}

fn number(text: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn day_of(text: &str) -> Option<NaiveDate> {
    let (y, m, d) = if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        (text.get(..4)?, text.get(4..6)?, text.get(6..)?)
    } else {
        let mut parts = text.split('-');
        let parts = (parts.next()?, parts.next()?, parts.next()?, parts.next());
        match parts {
            (y, m, d, None) => (y, m, d),
            _ => return None,
        }
    };
    let year = i32::try_from(number(y, 4..=4)?).ok()?;
    if !YEARS.contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, number(m, 1..=2)?, number(d, 1..=2)?)
}

fn time_of(text: &str) -> Option<NaiveTime> {
    let text = text.trim_end_matches(':');
    let (h, m) = text.split_once(':').unwrap_or((text, "0"));
    NaiveTime::from_hms_opt(number(h, 1..=2)?, number(m, 1..=2)?, 0)
}

/// A day as a person typed it (see the module docs); `None` when it is not one.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = normalised(text);
    let mut words = text.split_whitespace();
    let day = day_of(words.next()?)?;
    words.next().is_none().then_some(day)
}

/// A day with an optional time of day; a day alone is `None` in the second place.
pub fn parse_day_time(text: &str) -> Option<(NaiveDate, Option<NaiveTime>)> {
    let text = normalised(text);
    let mut words = text.split_whitespace();
    let day = day_of(words.next()?)?;
    let time = match words.next() {
        None => None,
        Some(t) => Some(time_of(t)?),
    };
    words.next().is_none().then_some((day, time))
}

/// Whether the suggestions look back (filters over what happened) or ahead (plans, deadlines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    /// 今天, 昨天, 本周一, 上周一, 本月1日, 上月1日.
    Past,
    /// 今天, 明天, 后天, 下周一, 一周后, 两周后, 下月1日.
    Future,
}

/// The days offered under a field, as (day, what people call it), from `today`.
pub fn suggestions(lang: Lang, today: NaiveDate, toward: Toward) -> Vec<(NaiveDate, String)> {
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let first = today.with_day(1).unwrap_or(today);
    let named: Vec<(Option<NaiveDate>, &str, &str)> = match toward {
        Toward::Past => vec![
            (Some(today), "今天", "today"),
            (today.checked_sub_days(Days::new(1)), "昨天", "yesterday"),
            (Some(monday), "本周一", "this Monday"),
            (
                monday.checked_sub_days(Days::new(7)),
                "上周一",
                "last Monday",
            ),
            (Some(first), "本月1日", "1st of this month"),
            (
                first.checked_sub_months(Months::new(1)),
                "上月1日",
                "1st of last month",
            ),
        ],
        Toward::Future => vec![
            (Some(today), "今天", "today"),
            (today.checked_add_days(Days::new(1)), "明天", "tomorrow"),
            (
                today.checked_add_days(Days::new(2)),
                "后天",
                "the day after tomorrow",
            ),
            (
                monday.checked_add_days(Days::new(7)),
                "下周一",
                "next Monday",
            ),
            (today.checked_add_days(Days::new(7)), "一周后", "in a week"),
            (
                today.checked_add_days(Days::new(14)),
                "两周后",
                "in two weeks",
            ),
            (
                first.checked_add_months(Months::new(1)),
                "下月1日",
                "1st of next month",
            ),
        ],
    };
    named
        .into_iter()
        .filter_map(|(day, zh, en)| day.map(|d| (d, lang.pick(zh, en).to_owned())))
        .collect()
}

/// A date field: text in the office's format, with the usual days to pick from.
#[component]
pub fn DateInput(
    lang: Lang,
    /// The form field's name (also names its suggestion list).
    name: String,
    /// What it holds now (as typed, or as [`day_text`] wrote it).
    value: String,
    /// Today in Beijing, for the suggestions.
    today: NaiveDate,
    /// Which way the suggestions look.
    toward: Toward,
    /// Whether the form needs it.
    #[props(default)]
    required: bool,
    /// A time of day to go with each suggested day (`18:00` for a deadline), if any.
    #[props(default)]
    at: String,
) -> Element {
    let list = format!("days-{name}");
    let placeholder = match (lang, at.is_empty()) {
        (Lang::Zh, true) => "年-月-日",
        (Lang::Zh, false) => "年-月-日 时:分",
        (Lang::En, true) => "yyyy-mm-dd",
        (Lang::En, false) => "yyyy-mm-dd hh:mm",
    };
    let size = if at.is_empty() { 12 } else { 17 };
    rsx! {
        input { r#type: "text", class: "date", name: "{name}", value: "{value}", list: "{list}",
            placeholder, inputmode: "numeric", autocomplete: "off",
            maxlength: 24, size, required }
        datalist { id: "{list}",
            for (day, label) in suggestions(lang, today, toward) {
                if at.is_empty() {
                    option { value: "{day_text(day)}", "{label}" }
                } else {
                    option { value: "{day_text(day)} {at}", "{label} {at}" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_ways_people_write_a_day_all_read_the_same() {
        for text in [
            "2026-12-07",
            " 2026-12-7 ",
            "2026/12/07",
            "2026.12.7",
            "2026年12月7日",
            "2026年12月7号",
            "20261207",
            "2026-12-7",
            "２０２６－１２－０７",
            "２０２６年１２月７日",
        ] {
            assert_eq!(parse_day(text), Some(day(2026, 12, 7)), "{text:?}");
        }
    }

    #[test]
    fn what_is_not_a_day_is_refused() {
        for text in [
            "",
            "12/07/2026",
            "2026-13-01",
            "2026-02-30",
            "1999-12-31",
            "2026-12",
            "2026-12-07-01",
            "2026-12-07 14:30",
            "tomorrow",
            "202612077",
            "2026-1-7-",
        ] {
            assert_eq!(parse_day(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_day_may_carry_a_time() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert_eq!(
            parse_day_time("2026-12-07 14:30"),
            Some((day(2026, 12, 7), Some(t(14, 30))))
        );
        assert_eq!(
            parse_day_time("2026-12-07T09:05"),
            Some((day(2026, 12, 7), Some(t(9, 5))))
        );
        assert_eq!(
            parse_day_time("2026年12月7日 14时30分"),
            Some((day(2026, 12, 7), Some(t(14, 30))))
        );
        assert_eq!(
            parse_day_time("2026年12月7日18点"),
            Some((day(2026, 12, 7), Some(t(18, 0))))
        );
        assert_eq!(parse_day_time("2026-12-07"), Some((day(2026, 12, 7), None)));
        assert_eq!(parse_day_time("2026-12-07 25:00"), None);
        assert_eq!(parse_day_time("2026-12-07 14:30 x"), None);
    }

    #[test]
    fn suggestions_name_the_days_around_today() {
        // 2026-12-09 is a Wednesday.
        let past = suggestions(Lang::Zh, day(2026, 12, 9), Toward::Past);
        assert_eq!(
            past,
            vec![
                (day(2026, 12, 9), "今天".to_owned()),
                (day(2026, 12, 8), "昨天".to_owned()),
                (day(2026, 12, 7), "本周一".to_owned()),
                (day(2026, 11, 30), "上周一".to_owned()),
                (day(2026, 12, 1), "本月1日".to_owned()),
                (day(2026, 11, 1), "上月1日".to_owned()),
            ]
        );
        let ahead = suggestions(Lang::En, day(2026, 12, 9), Toward::Future);
        assert!(ahead.contains(&(day(2026, 12, 14), "next Monday".to_owned())));
        assert!(ahead.contains(&(day(2027, 1, 1), "1st of next month".to_owned())));
    }
}
