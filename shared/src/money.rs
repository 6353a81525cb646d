//! Money as people handle it: amounts typed in yuan, shown in yuan, and written out in Chinese
//! capital numerals (金额大写) on printed slips.
//!
//! Events keep money in fen (分, 1/100 CNY) as `i64` so sums are exact; people type and read
//! yuan. [`parse_yuan`] reads what a person typed ("5000", "5,000.50") into fen and says what
//! is wrong when it cannot; [`yuan`] shows fen as "5,000.00"; [`capital`] writes fen the way a
//! paper slip or a cheque must (`500_000` fen → "伍仟元整"), following the rules of the
//! People's Bank of China for filling in settlement documents (正确填写票据和结算凭证的基本规定).
//!
//! No maintained crate for 金额大写 is in the workspace's lock file, and the rules are short, so
//! they are written here with a table of cases from those rules.

/// Largest amount accepted from a form, in yuan: far above any fine or claim, low enough that
/// a slip of the finger (an extra five zeros) is caught.
pub const MAX_YUAN: i64 = 10_000_000;

/// What is wrong with a typed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    /// Nothing was typed.
    Missing,
    /// Not a number of yuan with at most two decimals.
    NotANumber,
    /// Above [`MAX_YUAN`].
    TooLarge,
}

impl AmountError {
    /// The sentence for a person, in Chinese and English.
    pub fn text(self) -> (&'static str, &'static str) {
        match self {
            AmountError::Missing => ("请填写金额（元）。", "Enter the amount in yuan."),
            AmountError::NotANumber => (
                "金额须为以元为单位的数字，最多两位小数，如 5000 或 5000.50。",
                "The amount must be a number of yuan with at most two decimals, like 5000 or 5000.50.",
            ),
            AmountError::TooLarge => (
                "金额不能超过 1000 万元。",
                "The amount may not be above 10 million yuan.",
            ),
        }
    }
}

/// An amount in yuan as typed ("1200", "1,200.5", "¥5000", "5000元") in fen. Commas, spaces and a
/// leading ¥ or trailing 元 are allowed because people copy amounts from spreadsheets and slips;
/// signs, exponents and more than two decimals are not.
pub fn parse_yuan(text: &str) -> Result<i64, AmountError> {
    let trimmed = text.trim();
    let trimmed = trimmed
        .strip_prefix('¥')
        .or_else(|| trimmed.strip_prefix('￥'))
        .unwrap_or(trimmed);
    let trimmed = trimmed.strip_suffix('元').unwrap_or(trimmed).trim();
    if trimmed.is_empty() {
        return Err(AmountError::Missing);
    }
    let cleaned: String = trimmed.chars().filter(|c| *c != ',').collect();
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || frac.len() > 2 || !digits(frac) {
        return Err(AmountError::NotANumber);
    }
    // More than the maximum's digits cannot be in range (and would overflow the parse).
    if whole.trim_start_matches('0').len() > 8 {
        return Err(AmountError::TooLarge);
    }
    let yuan: i64 = whole.parse().map_err(|_| AmountError::NotANumber)?;
    if yuan > MAX_YUAN {
        return Err(AmountError::TooLarge);
    }
    let fen: i64 = format!("{frac:0<2}")
        .parse()
        .map_err(|_| AmountError::NotANumber)?;
    let total = yuan * 100 + fen;
    if total > MAX_YUAN * 100 {
        return Err(AmountError::TooLarge);
    }
    Ok(total)
}

/// Fen as yuan with thousands separators and two decimals: `500_000` → "5,000.00".
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
/// Units inside a group of four digits, from the thousands down.
const PLACES: [&str; 4] = ["仟", "佰", "拾", ""];
/// Units of the groups of four digits, from the lowest.
const GROUPS: [&str; 4] = ["", "万", "亿", "万亿"];

/// Fen in Chinese capital numerals, as written on slips and cheques: `500_000` → "伍仟元整",
/// `1_640_902` → "壹万陆仟肆佰零玖元零贰分". `None` for a negative amount or one of 10¹⁶ yuan or
/// more (no slip carries either).
///
/// The rules followed (see the module docs for their source): 壹拾 is written in full; a run of
/// zeros inside the number is one 零; a zero 角 before a non-zero 分 is written 零; an amount
/// that ends at 元 or 角 ends with 整, one with 分 does not.
pub fn capital(fen: i64) -> Option<String> {
    if fen < 0 {
        return None;
    }
    let whole = fen / 100;
    let jiao = (fen / 10 % 10) as usize;
    let cents = (fen % 10) as usize;
    if whole >= 10_000_i64.pow(4) {
        return None;
    }
    let mut out = String::new();
    if whole > 0 {
        out.push_str(&integer(whole));
        out.push('元');
    } else if jiao == 0 && cents == 0 {
        return Some("零元整".to_owned());
    }
    if jiao > 0 {
        out.push(DIGITS[jiao]);
        out.push('角');
    } else if cents > 0 && whole > 0 {
        out.push('零');
    }
    if cents > 0 {
        out.push(DIGITS[cents]);
        out.push('分');
    } else {
        out.push('整');
    }
    Some(out)
}

/// A positive whole number below 10¹⁶ in capital numerals, without a unit of money.
fn integer(mut n: i64) -> String {
    let mut groups = Vec::new();
    while n > 0 {
        groups.push((n % 10_000) as usize);
        n /= 10_000;
    }
    let mut out = String::new();
    // A zero seen since the last digit written, to be written once before the next one.
    let mut zero = false;
    for (index, &group) in groups.iter().enumerate().rev() {
        if group == 0 {
            zero = !out.is_empty();
            continue;
        }
        let places = [group / 1000, group / 100 % 10, group / 10 % 10, group % 10];
        for (place, &d) in places.iter().enumerate() {
            if d == 0 {
                zero = zero || !out.is_empty();
                continue;
            }
            if zero {
                out.push('零');
                zero = false;
            }
            out.push(DIGITS[d]);
            out.push_str(PLACES[place]);
        }
        out.push_str(GROUPS[index]);
        // Zeros at the end of a group only matter if a digit follows in a lower group; that
        // group's own leading zeros say so.
        zero = false;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(0, "零元整")]
    #[case(1, "壹分")]
    #[case(50, "伍角整")]
    #[case(55, "伍角伍分")]
    #[case(1_000, "壹拾元整")]
    #[case(1_500, "壹拾伍元整")]
    #[case(32_504, "叁佰贰拾伍元零肆分")]
    #[case(100_100, "壹仟零壹元整")]
    #[case(101_000, "壹仟零壹拾元整")]
    #[case(168_032, "壹仟陆佰捌拾元叁角贰分")]
    #[case(500_000, "伍仟元整")]
    #[case(500_050, "伍仟元伍角整")]
    #[case(1_234_567, "壹万贰仟叁佰肆拾伍元陆角柒分")]
    #[case(1_640_902, "壹万陆仟肆佰零玖元零贰分")]
    #[case(2_000_000, "贰万元整")]
    #[case(10_700_053, "壹拾万柒仟元伍角叁分")]
    #[case(10_010_000, "壹拾万零壹佰元整")]
    #[case(12_000_500, "壹拾贰万零伍元整")]
    #[case(1_000_000_000, "壹仟万元整")]
    #[case(10_000_000_000, "壹亿元整")]
    #[case(10_000_000_100, "壹亿零壹元整")]
    #[case(10_001_000_000, "壹亿零壹万元整")]
    #[case(12_005_000_000, "壹亿贰仟零伍万元整")]
    #[case(200_000_000_000_000, "贰万亿元整")]
    fn capitals_follow_the_settlement_rules(#[case] fen: i64, #[case] expected: &str) {
        assert_eq!(capital(fen).as_deref(), Some(expected), "{fen} fen");
    }

    #[test]
    fn capitals_refuse_what_no_slip_carries() {
        assert_eq!(capital(-1), None);
        assert_eq!(capital(i64::MAX), None);
        assert!(capital(10_000_i64.pow(4) * 100 - 1).is_some());
    }

    /// Over a sweep of amounts: one 零 at a time, never before a unit of money, and every
    /// non-zero digit of the number appears (as many capital digits as non-zero digits).
    #[test]
    fn capitals_never_double_or_dangle_a_zero() {
        let mut fen = 1_i64;
        while fen < 10_000_000_000_000 {
            for n in [fen, fen + 1, fen * 3 + 7, fen * 10 + fen / 7] {
                let text = capital(n).unwrap();
                assert!(!text.contains("零零"), "{n}: {text}");
                for unit in ["零元", "零万", "零亿", "零角", "零整"] {
                    assert!(!text.contains(unit), "{n}: {text}");
                }
                let digits = n.to_string().chars().filter(|c| *c != '0').count();
                let written = text.chars().filter(|c| DIGITS[1..].contains(c)).count();
                assert_eq!(digits, written, "{n}: {text}");
            }
            fen = fen * 7 + 3;
        }
    }

    #[rstest]
    #[case("5000", 500_000)]
    #[case(" 5,000.5 ", 500_050)]
    #[case("¥5000", 500_000)]
    #[case("5000元", 500_000)]
    #[case("0.07", 7)]
    #[case("0", 0)]
    #[case("10000000", 1_000_000_000)]
    fn amounts_are_read_in_yuan(#[case] text: &str, #[case] fen: i64) {
        assert_eq!(parse_yuan(text), Ok(fen));
    }

    #[rstest]
    #[case("", AmountError::Missing)]
    #[case("  ", AmountError::Missing)]
    #[case("abc", AmountError::NotANumber)]
    #[case("-5000", AmountError::NotANumber)]
    #[case("5e3", AmountError::NotANumber)]
    #[case("1.234", AmountError::NotANumber)]
    #[case(".5", AmountError::NotANumber)]
    #[case("五千", AmountError::NotANumber)]
    #[case("10000000.01", AmountError::TooLarge)]
    #[case("99999999999999999999999", AmountError::TooLarge)]
    fn bad_amounts_say_what_is_wrong(#[case] text: &str, #[case] error: AmountError) {
        assert_eq!(parse_yuan(text), Err(error));
    }

    #[test]
    fn yuan_are_shown_with_separators() {
        assert_eq!(yuan(500_000), "5,000.00");
        assert_eq!(yuan(7), "0.07");
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(-150), "-1.50");
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        const MAX_FEN: i64 = MAX_YUAN * 100;

        proptest! {
            /// What the pages show reads back as the same amount, with or without the
            /// currency signs people copy along.
            #[test]
            fn shown_amounts_read_back(fen in 0..=MAX_FEN) {
                let shown = yuan(fen);
                prop_assert_eq!(parse_yuan(&shown), Ok(fen));
                prop_assert_eq!(parse_yuan(&format!("¥{shown}元")), Ok(fen));
                prop_assert_eq!(parse_yuan(&shown.replace(',', "")), Ok(fen));
            }

            /// Whatever is typed, the answer is an amount within bounds or a reason.
            #[test]
            fn any_text_is_an_amount_in_bounds_or_a_reason(text in "\\PC{0,24}|[¥￥]?[0-9,. ]{0,14}元?") {
                if let Ok(fen) = parse_yuan(&text) {
                    prop_assert!((0..=MAX_FEN).contains(&fen), "{text:?} → {fen}");
                }
            }

            /// Every amount has its capital form, only capital numerals and units, ending as
            /// the rules say (整 for whole yuan or jiao, 分 otherwise), and two amounts never
            /// share one.
            #[test]
            fn every_amount_has_one_capital_form(a in 0..=MAX_FEN, b in 0..=MAX_FEN) {
                let (ca, cb) = (capital(a).unwrap(), capital(b).unwrap());
                prop_assert!(ca.chars().all(|c| "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整".contains(c)), "{ca}");
                prop_assert!(ca.ends_with('整') || ca.ends_with('分'), "{ca}");
                prop_assert_eq!(ca == cb, a == b);
            }
        }
    }
}
