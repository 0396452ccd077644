//! Snippets: the text around a match, with where the matches are as offsets (UTF-16 code units,
//! what a JavaScript string indexes by) rather than bracket characters put into the text.

use serde::Serialize;
use ts_rs::TS;

/// SQLite's `snippet()` marks a match with these: private-use characters no message uses.
pub(super) const OPEN: char = '\u{E000}';
pub(super) const CLOSE: char = '\u{E001}';

/// Text around a match, and the ranges of it that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Snippet {
    pub text: String,
    /// `[start, end)` ranges in UTF-16 code units of `text`.
    pub highlights: Vec<[u32; 2]>,
}

impl Snippet {
    /// Reads a snippet marked with [`OPEN`] and [`CLOSE`].
    pub(super) fn from_marked(marked: &str) -> Self {
        let mut text = String::with_capacity(marked.len());
        let mut highlights = Vec::new();
        let mut at = 0u32;
        let mut start = None;
        for c in marked.chars() {
            match c {
                OPEN => start = Some(at),
                CLOSE => {
                    if let Some(s) = start.take() {
                        if at > s {
                            highlights.push([s, at]);
                        }
                    }
                }
                c => {
                    text.push(c);
                    at += c.len_utf16() as u32;
                }
            }
        }
        Self { text, highlights }
    }

    /// Finds `needle` in `content` (ignoring ASCII case) and cuts the text around its first match.
    pub(super) fn around(content: &str, needle: &str) -> Self {
        const BEFORE: usize = 40;
        const AFTER: usize = 100;
        let lower = content.to_lowercase();
        let needle = needle.to_lowercase();
        let chars: Vec<char> = content.chars().collect();
        // Lower-casing can change lengths outside ASCII: find the match by characters.
        let found = if lower.chars().count() == chars.len() {
            lower
                .find(&needle)
                .map(|byte| lower[..byte].chars().count())
        } else {
            content
                .find(needle.as_str())
                .map(|byte| content[..byte].chars().count())
        };
        let Some(at) = found else {
            let text: String = chars.iter().take(BEFORE + AFTER).collect();
            return Self {
                text,
                highlights: Vec::new(),
            };
        };
        let len = needle.chars().count();
        let from = at.saturating_sub(BEFORE);
        let to = (at + len + AFTER).min(chars.len());
        let mut marked = String::new();
        if from > 0 {
            marked.push('…');
        }
        for (i, c) in chars[from..to].iter().enumerate() {
            if from + i == at {
                marked.push(OPEN);
            }
            marked.push(*c);
            if from + i + 1 == at + len {
                marked.push(CLOSE);
            }
        }
        if to < chars.len() {
            marked.push('…');
        }
        Self::from_marked(&marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_become_utf16_offsets() {
        let s = Snippet::from_marked("é \u{E000}🙂ok\u{E001} and \u{E000}x\u{E001}");
        assert_eq!(s.text, "é 🙂ok and x");
        // "é " is 2 units, the emoji 2, "ok" 2.
        assert_eq!(s.highlights, vec![[2, 6], [11, 12]]);
    }

    #[test]
    fn a_scan_match_is_cut_around_and_marked() {
        let text = format!("{}中文{}", "a".repeat(100), "b".repeat(300));
        let s = Snippet::around(&text, "中文");
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        let [start, end] = s.highlights[0];
        let units: Vec<u16> = s.text.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&units[start as usize..end as usize]).unwrap(),
            "中文"
        );
        assert_eq!(Snippet::around("Hello 🙂 World", "🙂").highlights.len(), 1);
        assert_eq!(Snippet::around("ABC", "b").highlights, vec![[1, 2]]);
    }
}
