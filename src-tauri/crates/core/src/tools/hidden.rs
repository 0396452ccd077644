//! Characters a person cannot see but a model reads: Unicode tags (U+E0000–U+E007F, which spell
//! out ASCII invisibly), zero-width characters, bidirectional controls and other control
//! characters. A tool description (or anything else a server sends) that carries them is flagged,
//! and shown with each one escaped as `\u{…}`, never raw.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of invisible text a description carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HiddenText {
    /// Unicode tag characters (U+E0000–U+E007F): invisible copies of ASCII letters.
    UnicodeTags,
    /// Zero-width spaces, joiners and the like.
    ZeroWidth,
    /// Bidirectional controls, which reorder what is shown.
    BidiControls,
    /// Control characters other than line breaks and tabs (terminal escapes among them).
    ControlCharacters,
}

impl HiddenText {
    /// The warning in words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::UnicodeTags => "hidden Unicode tag characters (invisible text)",
            Self::ZeroWidth => "zero-width characters",
            Self::BidiControls => "bidirectional controls (text shown in another order)",
            Self::ControlCharacters => "control characters",
        }
    }
}

/// The kind of hidden character `c` is, if it is one.
pub fn classify(c: char) -> Option<HiddenText> {
    match c {
        '\u{E0000}'..='\u{E007F}' => Some(HiddenText::UnicodeTags),
        '\u{200B}'
        | '\u{200C}'
        | '\u{200D}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{180E}'
        | '\u{00AD}'
        | '\u{034F}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{FFA0}' => Some(HiddenText::ZeroWidth),
        '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{061C}' => Some(HiddenText::BidiControls),
        '\n' | '\t' => None,
        c if c.is_control() => Some(HiddenText::ControlCharacters),
        _ => None,
    }
}

/// Every kind of hidden character in `text`, each once, in a fixed order.
pub fn hidden_in(text: &str) -> Vec<HiddenText> {
    let mut found: Vec<HiddenText> = text.chars().filter_map(classify).collect();
    found.sort();
    found.dedup();
    found
}

/// `text` with every hidden character written as `\u{XXXX}`, so what a model would read is what
/// a person sees. A carriage return is escaped too (it rewrites a terminal's line).
pub fn escape_hidden(text: &str) -> String {
    if !text.chars().any(|c| classify(c).is_some()) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if classify(c).is_some() {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_zero_width_and_bidi_are_found_and_escaped() {
        // "ignore" spelled in tag characters after a harmless sentence.
        let tags: String = "ignore"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).unwrap())
            .collect();
        let text = format!("Reads a file.{tags} a\u{200B}b \u{202E}cba\u{202C} \x1b[2J");
        assert_eq!(
            hidden_in(&text),
            [
                HiddenText::UnicodeTags,
                HiddenText::ZeroWidth,
                HiddenText::BidiControls,
                HiddenText::ControlCharacters
            ]
        );
        let escaped = escape_hidden(&text);
        assert!(escaped.starts_with("Reads a file.\\u{E0069}\\u{E0067}"));
        assert!(escaped.contains("a\\u{200B}b"));
        assert!(escaped.contains("\\u{202E}cba\\u{202C}"));
        assert!(escaped.contains("\\u{001B}[2J"));
        assert!(hidden_in(&escaped).is_empty());
    }

    #[test]
    fn ordinary_text_in_any_script_is_left_alone() {
        let text = "Liest eine Datei.\n\tКиото 京都 🍁 — مرحبا";
        assert!(hidden_in(text).is_empty());
        assert_eq!(escape_hidden(text), text);
    }
}
