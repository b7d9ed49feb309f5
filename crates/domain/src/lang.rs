//! Languages and refusals.
//!
//! Every refusal carries a stable code (for programs) and a message in the user's language
//! (zh-CN by default, English on request), so that a client never has to translate our words.

use serde::{Deserialize, Serialize};

/// The two languages the platform speaks. Chinese is the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    Zh,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// Picks a language from a tag such as `en-GB` or `zh-CN`; anything unknown is Chinese.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.trim().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Zh }
    }
}

/// A refusal to do what was asked: the caller's mistake, never an internal fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Stable machine-readable code, e.g. `illegal_transition`.
    pub code: &'static str,
    pub zh: String,
    pub en: String,
}

impl Refusal {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Refusal { code, zh: zh.into(), en: en.into() }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// A field that failed validation: names the field in both languages.
    pub fn bad_field(field: &str, zh: impl std::fmt::Display, en: impl std::fmt::Display) -> Self {
        Refusal::new("invalid_field", format!("字段 {field} 无效：{zh}"), format!("field {field} is invalid: {en}"))
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.en, self.zh)
    }
}

impl std::error::Error for Refusal {}
