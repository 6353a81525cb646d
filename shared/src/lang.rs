//! The two languages Plumbline speaks: Chinese first, English second.
//!
//! One type for the office web and the app alike, so that a person's choice means the same
//! everywhere and domain labels (`label_zh` / `label_en`) are picked the same way.

use serde::{Deserialize, Serialize};

/// A person's language; Chinese unless English was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    /// 简体中文.
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// From a stored or posted value; anything unknown is Chinese.
    pub fn parse(value: &str) -> Self {
        match value {
            "en" => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The BCP 47 code, for `<html lang>`, cookies and preferences.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks the text of this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Declares a typed catalogue of fixed texts: `catalogue! { Name => "中文", "English"; … }`
/// makes `pub enum Msg` with one variant per text and `Msg::text(lang)`. Both languages sit
/// side by side, so a missing translation does not compile and no run-time lookup can fail.
/// The office web and the app each declare their own catalogue with it.
#[macro_export]
macro_rules! catalogue {
    ($($name:ident => $zh:literal, $en:literal;)*) => {
        /// Every fixed text of this user interface, in both languages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $(#[doc = $en] $name,)*
        }

        impl Msg {
            /// The text in `lang`.
            pub fn text(self, lang: $crate::lang::Lang) -> &'static str {
                match self {
                    $(Msg::$name => lang.pick($zh, $en),)*
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_fall_back_to_chinese_and_codes_round_trip() {
        assert_eq!(Lang::parse("en"), Lang::En);
        assert_eq!(Lang::parse("fr"), Lang::Zh);
        for lang in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::parse(lang.code()), lang);
        }
        assert_eq!(Lang::En.pick("中", "en"), "en");
    }
}
