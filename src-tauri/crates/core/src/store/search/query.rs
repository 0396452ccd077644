//! What a person types, turned into a search plan that can never be an SQL or FTS syntax error:
//! the text is split into words (and "quoted phrases") here, and each reaches SQLite as a quoted
//! string, so `NEAR`, `*`, `-`, `:`, `^`, a lone `"` or 10 KB of text are searched for as text.
//!
//! Which index answers:
//! - **words** (`messages_words`, unicode61): any query with a word in it, unless it has CJK
//!   characters. Every word must match; the last one also as a prefix while it is being typed.
//! - **substring** (`messages_fts`, trigram): CJK text (written without spaces, so unicode61 sees a
//!   whole run as one word) and queries with no word at all (`!!!`, `:-)`), when 3+ characters.
//! - **scan**: one or two characters with no word (`中文`, `🙂`), which neither index can match: the
//!   text is searched row by row, newest first.

/// At most this many words and phrases are used; the rest of a very long query is ignored.
const MAX_TERMS: usize = 16;
/// At most this many characters of a query go into a substring or scan search.
const MAX_SUBSTRING_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// An FTS5 expression for the word index.
    Words(String),
    /// An FTS5 expression (one quoted string) for the trigram index.
    Substring(String),
    /// The text to find by scanning.
    Scan(String),
    /// Nothing searchable (only quotes): no hits, and no error either.
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Parsed {
    pub plan: Plan,
    /// The words and phrases, lower-cased, for matching titles.
    pub terms: Vec<String>,
    /// Each word to mark in a snippet, and whether it matched as a prefix.
    pub marks: Vec<(String, bool)>,
}

/// CJK scripts: Han, kana, Hangul (written without spaces between words).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn words(segment: &str) -> impl Iterator<Item = &str> {
    segment
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Plans the search for `text`; `Err` with what to tell the person when there is nothing to search.
pub(super) fn plan(typed: &str) -> Result<Parsed, &'static str> {
    let text = typed.trim();
    if text.is_empty() {
        return Err("type something to search for");
    }
    // Outside quotes: words; inside: phrases. An unclosed quote (still being typed) starts a
    // phrase that runs to the end.
    let mut terms: Vec<Vec<&str>> = Vec::new();
    for (i, segment) in text.split('"').enumerate() {
        if i % 2 == 0 {
            terms.extend(words(segment).map(|w| vec![w]));
        } else {
            let phrase: Vec<&str> = words(segment).collect();
            if !phrase.is_empty() {
                terms.push(phrase);
            }
        }
    }
    terms.truncate(MAX_TERMS);
    let lowered: Vec<String> = terms.iter().map(|t| t.join(" ").to_lowercase()).collect();
    let cjk = text.chars().any(is_cjk);
    if !terms.is_empty() && !cjk {
        // A space or a closing quote after the last word says it is finished.
        let typing = !typed.ends_with(|c: char| c.is_whitespace() || c == '"');
        let last = terms.len() - 1;
        let expression = terms
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let q = quoted(&t.join(" "));
                // The word being typed matches as a prefix; a phrase or a finished word exactly.
                if i == last && typing && t.len() == 1 {
                    format!("{q}*")
                } else {
                    q
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let marks = terms
            .iter()
            .enumerate()
            .flat_map(|(i, t)| {
                let prefix = i == last && typing && t.len() == 1;
                t.iter().map(move |w| (w.to_string(), prefix))
            })
            .collect();
        return Ok(Parsed {
            plan: Plan::Words(expression),
            terms: lowered,
            marks,
        });
    }
    let bare: String = text
        .chars()
        .filter(|&c| c != '"')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_SUBSTRING_CHARS)
        .collect();
    let n = bare.chars().count();
    let plan = match n {
        0 => Plan::Nothing,
        1 | 2 => Plan::Scan(bare.clone()),
        _ => Plan::Substring(quoted(&bare)),
    };
    Ok(Parsed {
        plan,
        terms: vec![bare.to_lowercase()],
        marks: Vec::new(),
    })
}

/// Words too common to say what a message is about (English), left out of a recall query.
const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
    "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "else", "ever", "few",
    "for", "from", "further", "get", "got", "had", "has", "have", "having", "he", "her", "here",
    "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
    "know", "let", "like", "me", "more", "most", "much", "must", "my", "no", "nor", "not", "now",
    "of", "off", "on", "once", "one", "only", "or", "other", "our", "ours", "out", "over", "own",
    "please", "re", "remember", "same", "say", "said", "she", "should", "so", "some", "such",
    "tell", "than", "that", "the", "their", "them", "then", "there", "these", "they", "thing",
    "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "was", "we",
    "well", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will",
    "with", "would", "yes", "you", "your", "yours",
];

/// At most this many words of a message make its recall query.
const MAX_RECALL_TERMS: usize = 24;

/// The words of `text` that say what it is about (stopwords and one-letter words left out,
/// lower-cased, each once, in order), for a recall query: any of them may match.
pub(crate) fn topic_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in words(text) {
        let lower = word.to_lowercase();
        if lower.chars().count() < 2 || STOPWORDS.contains(&lower.as_str()) || out.contains(&lower)
        {
            continue;
        }
        out.push(lower);
        if out.len() == MAX_RECALL_TERMS {
            break;
        }
    }
    out
}

/// An FTS5 expression matching any of `terms`.
pub(super) fn any_of(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| quoted(t))
        .collect::<Vec<_>>()
        .join(" OR ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(text: &str) -> String {
        match plan(text).unwrap().plan {
            Plan::Words(e) => e,
            other => panic!("{text:?} planned as {other:?}"),
        }
    }

    #[test]
    fn words_are_quoted_and_the_last_one_is_a_prefix_while_typing() {
        assert_eq!(words_of("postgres mig"), r#""postgres" "mig"*"#);
        assert_eq!(words_of("postgres mig "), r#""postgres" "mig""#);
        assert_eq!(words_of("Go"), r#""Go"*"#);
        assert_eq!(words_of("C#"), r#""C"*"#);
    }

    #[test]
    fn quotes_make_phrases_even_unclosed() {
        assert_eq!(
            words_of(r#""staging server" ip"#),
            r#""staging server" "ip"*"#
        );
        assert_eq!(words_of(r#"ip "staging serv"#), r#""ip" "staging serv""#);
        assert_eq!(words_of(r#"say "hi NEAR(x"#), r#""say" "hi NEAR x""#);
    }

    #[test]
    fn fts_syntax_is_only_text() {
        for hostile in [
            "NEAR(a b)",
            "a OR b",
            "-x",
            "col:fox",
            "^fox",
            "fox*",
            "a AND",
        ] {
            let e = words_of(hostile);
            assert!(
                e.split('"')
                    .enumerate()
                    .all(|(i, part)| i % 2 == 1 || part.trim().is_empty() || part.trim() == "*"),
                "{hostile:?} became {e}"
            );
        }
    }

    #[test]
    fn cjk_and_wordless_text_go_to_the_substring_index_or_a_scan() {
        assert_eq!(
            plan("東京タワー").unwrap().plan,
            Plan::Substring("\"東京タワー\"".into())
        );
        assert_eq!(plan("中文").unwrap().plan, Plan::Scan("中文".into()));
        assert_eq!(plan("🙂").unwrap().plan, Plan::Scan("🙂".into()));
        assert_eq!(plan(":-)").unwrap().plan, Plan::Substring("\":-)\"".into()));
        assert!(plan("   ").is_err());
        assert_eq!(plan("\"\"").unwrap().plan, Plan::Nothing);
    }

    #[test]
    fn recall_queries_keep_the_words_that_say_something() {
        assert_eq!(
            topic_words("What was the IP of our staging server? The staging one."),
            ["ip", "staging", "server"]
        );
        assert_eq!(any_of(&topic_words("Go or C#?")), r#""go""#);
        assert!(topic_words("what is it? a, b").is_empty());
        assert_eq!(topic_words("Ilse ilse ILSE"), ["ilse"]);
        let many: String = (0..100).map(|i| format!("word{i} ")).collect();
        assert_eq!(topic_words(&many).len(), MAX_RECALL_TERMS);
    }

    #[test]
    fn long_text_is_cut_to_a_few_terms() {
        let long = "word ".repeat(2000);
        assert_eq!(plan(&long).unwrap().terms.len(), MAX_TERMS);
        let cjk = "漢".repeat(5000);
        match plan(&cjk).unwrap().plan {
            Plan::Substring(s) => assert_eq!(s.chars().count(), MAX_SUBSTRING_CHARS + 2),
            other => panic!("{other:?}"),
        }
    }
}
