//! Snippets: the text around a match, with where the matches are as offsets (UTF-16 code units,
//! what a JavaScript string indexes by) rather than bracket characters put into the text.
//!
//! They are cut here rather than by FTS5's `snippet()`: that needs the index to find the row
//! again, which this SQLite did by walking the word's whole match list (tens of milliseconds per
//! hit for a common word), while marking a message's words here takes microseconds.

use serde::Serialize;
use ts_rs::TS;

/// Marks around a match while a snippet is cut: private-use characters no message uses.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
/// How much text a snippet shows before its first match, and in all.
const BEFORE: usize = 40;
const LENGTH: usize = 160;

/// Text around a match, and the ranges of it that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Snippet {
    pub text: String,
    /// `[start, end)` ranges in UTF-16 code units of `text`.
    pub highlights: Vec<[u32; 2]>,
}

impl Snippet {
    /// Reads a snippet marked with [`OPEN`] and [`CLOSE`].
    fn from_marked(marked: &str) -> Self {
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

    /// Marks every word of `content` that matches one of `marks` (the word, and whether it
    /// matches as a prefix), folding case and common diacritics as the word index does, and
    /// cuts the text around the first one.
    pub(super) fn for_words(content: &str, marks: &[(String, bool)]) -> Self {
        let wanted: Vec<(String, bool)> = marks.iter().map(|(w, p)| (fold(w), *p)).collect();
        let chars: Vec<char> = content.chars().map(unmarked).collect();
        let mut spans = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            let word = fold(&chars[start..i].iter().collect::<String>());
            if wanted.iter().any(|(w, prefix)| {
                if *prefix {
                    word.starts_with(w.as_str())
                } else {
                    word == *w
                }
            }) {
                spans.push((start, i));
            }
        }
        Self::cut(&chars, &spans)
    }

    /// The text around the first of `spans` (character ranges), each span marked.
    fn cut(chars: &[char], spans: &[(usize, usize)]) -> Self {
        let first = spans.first().map_or(0, |s| s.0);
        let from = first.saturating_sub(BEFORE);
        let to = (from + LENGTH)
            .max(spans.first().map_or(0, |s| s.1))
            .min(chars.len());
        let mut marked = String::new();
        if from > 0 {
            marked.push('…');
        }
        let mut spans = spans
            .iter()
            .filter(|(s, e)| *s >= from && *e <= to)
            .peekable();
        let mut open_until = None;
        for (i, c) in chars[from..to].iter().enumerate() {
            let at = from + i;
            if open_until.is_none() {
                if let Some(&&(s, e)) = spans.peek() {
                    if s == at {
                        marked.push(OPEN);
                        open_until = Some(e);
                        spans.next();
                    }
                }
            }
            marked.push(*c);
            if open_until == Some(at + 1) {
                marked.push(CLOSE);
                open_until = None;
            }
        }
        if to < chars.len() {
            marked.push('…');
        }
        Self::from_marked(&marked)
    }

    /// Finds `needle` in `content` (ignoring ASCII case) and cuts the text around its first match
    /// (the start, with nothing marked, when it is empty or not found).
    pub(super) fn around(content: &str, needle: &str) -> Self {
        let content: String = content.chars().map(unmarked).collect();
        let content = content.as_str();
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
        let len = needle.chars().count();
        let spans: Vec<(usize, usize)> = found
            .filter(|_| len > 0)
            .map(|at| (at, at + len))
            .into_iter()
            .collect();
        Self::cut(&chars, &spans)
    }
}

/// A message's own mark characters (it could hold any) become U+FFFD, so only ours mark.
fn unmarked(c: char) -> char {
    if c == OPEN || c == CLOSE {
        char::REPLACEMENT_CHARACTER
    } else {
        c
    }
}

/// Lower case without the common Latin diacritics: what unicode61 with `remove_diacritics`
/// compares, for the letters people type.
pub(super) fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
            'ď' | 'đ' => 'd',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
            'ĺ' | 'ļ' | 'ľ' | 'ł' => 'l',
            'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
            'ŕ' | 'ř' => 'r',
            'ś' | 'ŝ' | 'ş' | 'š' => 's',
            'ţ' | 'ť' => 't',
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
            'ý' | 'ÿ' => 'y',
            'ź' | 'ż' | 'ž' => 'z',
            c => c,
        })
        .collect()
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

    fn marked(s: &Snippet) -> Vec<String> {
        let units: Vec<u16> = s.text.encode_utf16().collect();
        s.highlights
            .iter()
            .map(|[a, b]| String::from_utf16(&units[*a as usize..*b as usize]).unwrap())
            .collect()
    }

    #[test]
    fn words_are_marked_folded_and_by_prefix() {
        let marks = [("resume".to_owned(), false), ("postg".to_owned(), true)];
        let s = Snippet::for_words("Mein Résumé: Postgres, not postgis; RESUME again", &marks);
        assert_eq!(marked(&s), ["Résumé", "Postgres", "postgis", "RESUME"]);
        let long = format!("{} needle {}", "word ".repeat(100), "tail ".repeat(100));
        let s = Snippet::for_words(&long, &[("needle".to_owned(), false)]);
        assert!(
            s.text.starts_with('…') && s.text.ends_with('…'),
            "{}",
            s.text
        );
        assert_eq!(marked(&s), ["needle"]);
        assert!(s.text.chars().count() <= LENGTH + 2);
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
