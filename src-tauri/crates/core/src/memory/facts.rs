//! The summary's fact check: mechanically pull the facts a summary must not lose out of the turns
//! it folds — numbers, dates, URLs, e-mail addresses, code identifiers and capitalised names — and
//! list those the model's summary dropped.

use std::sync::LazyLock;

use regex::Regex;

/// The most facts a summary's "Key facts" list holds.
pub const MAX_KEY_FACTS: usize = 24;
/// The most characters the "Key facts" list takes.
pub const MAX_KEY_FACTS_CHARS: usize = 800;
/// The line the list starts with.
pub const KEY_FACTS_HEADING: &str = "Key facts:";

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\b(?:https?|ftp)://[^\s<>()\[\]{}"'`]+"#).expect("regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
        .expect("regex")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let month = "(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|\
                 Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)";
    Regex::new(&format!(
        r"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|{month}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)? {month}(?:,? \d{{4}})?)\b"
    ))
    .expect("regex")
});
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[$€£¥]?\b\d+(?:[.,:]\d+)*(?:\s?%|\s?(?:km|kg|mb|gb|tb|ms|px|°[CF]))?")
        .expect("regex")
});
/// Ticket-style identifiers, kept whole: `PROJ-1234`, `CVE-2024-3094`, `RFC-9110`, `JIRA-12`.
static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*-[0-9]+\b").expect("identifier pattern")
});
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"`[^`\n]{2,60}`",
        r"|\b[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+(?:\(\))?",
        r"|\b[A-Za-z_][A-Za-z0-9_]*\(\)",
        r"|\b[a-z][a-z0-9]*_[a-z0-9_]+\b",
        r"|\b[a-z]+[A-Z][A-Za-z0-9]*\b",
        r"|\b[A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*\b",
        r"|\b[\w-]+\.(?:rs|py|ts|js|tsx|json|toml|yaml|yml|md|sql|go|java|c|h|cpp|sh|txt|csv)\b",
    ))
    .expect("regex")
});
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\p{Lu}[\p{Ll}\p{Lu}'’-]*\p{Ll}[\p{Ll}'’-]*(?:[ -]\p{Lu}[\p{Ll}\p{Lu}'’-]*\p{Ll}[\p{Ll}'’-]*)*")
        .expect("regex")
});

/// Capitalised words that are not names when they start a sentence (or at all).
const NOT_NAMES: &[&str] = &[
    "A",
    "About",
    "After",
    "Again",
    "Also",
    "Although",
    "An",
    "And",
    "Any",
    "Are",
    "As",
    "At",
    "Be",
    "Because",
    "Before",
    "But",
    "By",
    "Can",
    "Could",
    "Did",
    "Do",
    "Does",
    "Each",
    "Even",
    "Every",
    "First",
    "For",
    "From",
    "Good",
    "Great",
    "Had",
    "Has",
    "Have",
    "He",
    "Hello",
    "Her",
    "Here",
    "Hi",
    "His",
    "How",
    "However",
    "I",
    "I'm",
    "I’m",
    "I'll",
    "I've",
    "If",
    "In",
    "Is",
    "It",
    "It's",
    "Its",
    "Just",
    "Let",
    "Let's",
    "Like",
    "Maybe",
    "More",
    "Most",
    "My",
    "No",
    "Not",
    "Note",
    "Now",
    "Of",
    "Ok",
    "Okay",
    "On",
    "Once",
    "One",
    "Or",
    "Our",
    "Please",
    "Remember",
    "Same",
    "Second",
    "She",
    "So",
    "Some",
    "Sorry",
    "Sure",
    "Thank",
    "Thanks",
    "That",
    "That's",
    "The",
    "Their",
    "Then",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "To",
    "Too",
    "Use",
    "User",
    "Assistant",
    "Very",
    "We",
    "Well",
    "What",
    "What's",
    "When",
    "Where",
    "Which",
    "While",
    "Who",
    "Why",
    "Will",
    "With",
    "Would",
    "Yes",
    "You",
    "You're",
    "Your",
    "Summary",
    "Key",
    "Facts",
    "Great",
    "Absolutely",
    "Certainly",
    "Of course",
    "Wow",
];

/// The facts in `text`, in order of first appearance, without duplicates or facts that are part
/// of an earlier, longer one (the number inside a date, say).
pub fn extract(text: &str) -> Vec<String> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let take = |start: usize, end: usize, spans: &mut Vec<(usize, usize)>| {
        if spans.iter().any(|&(s, e)| start < e && s < end) {
            return;
        }
        spans.push((start, end));
    };
    for m in URL.find_iter(text) {
        let trimmed = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        take(m.start(), m.start() + trimmed.len(), &mut spans);
    }
    for re in [&*EMAIL, &*IDENTIFIER, &*DATE, &*CODE] {
        for m in re.find_iter(text) {
            take(m.start(), m.end(), &mut spans);
        }
    }
    for m in NUMBER.find_iter(text) {
        let s = m.as_str();
        // Single digits and list markers are noise.
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let marker = text[m.end()..].starts_with(". ") && line_start(text, m.start());
        if digits >= 2 && !marker || s.contains(['%', '$', '€', '£', '¥']) {
            take(m.start(), m.end(), &mut spans);
        }
    }
    for m in NAME.find_iter(text) {
        let s = m.as_str();
        let words: Vec<&str> = s.split([' ', '-']).collect();
        let first_is_common = NOT_NAMES.contains(&words[0]);
        let (start, name) = if first_is_common && words.len() > 1 {
            // "The Hague" keeps the name, "Thanks Maria" becomes "Maria".
            let rest = &s[words[0].len() + 1..];
            (m.start() + words[0].len() + 1, rest)
        } else {
            (m.start(), s)
        };
        if NOT_NAMES.contains(&name) {
            continue;
        }
        // A lone capitalised word at a sentence start is usually just a sentence start.
        if !name.contains(' ') && sentence_start(text, start) && !known_elsewhere(text, name, start)
        {
            continue;
        }
        take(start, start + name.len(), &mut spans);
    }
    spans.sort_unstable();
    let mut out: Vec<String> = Vec::new();
    for (s, e) in spans {
        let fact = text[s..e].trim().trim_matches('`').to_owned();
        if fact.chars().count() < 2 {
            continue;
        }
        if !out.iter().any(|f| f.eq_ignore_ascii_case(&fact)) {
            out.push(fact);
        }
    }
    out
}

fn line_start(text: &str, at: usize) -> bool {
    text[..at]
        .rsplit('\n')
        .next()
        .is_some_and(|l| l.trim().is_empty())
}

fn sentence_start(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches([' ', '\t', '"', '\'', '(', '*', '-', '>', '#']);
    before.is_empty() || before.ends_with(['.', '!', '?', '\n', ':'])
}

/// Whether `word` also appears capitalised somewhere that is not a sentence start.
fn known_elsewhere(text: &str, word: &str, except: usize) -> bool {
    text.match_indices(word)
        .any(|(i, _)| i != except && !sentence_start(text, i) && is_word_at(text, i, word.len()))
}

fn is_word_at(text: &str, at: usize, len: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + len..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// Whether `summary` mentions `fact` (ignoring case, spacing and thousands separators).
pub fn mentions(summary: &str, fact: &str) -> bool {
    let norm = |s: &str| {
        s.to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let summary = norm(summary);
    let fact = norm(fact);
    summary.contains(&fact) || summary.replace(',', "").contains(&fact.replace(',', ""))
}

/// The facts of `sources` (oldest first) that `summary` does not mention, newest sources first,
/// within [`MAX_KEY_FACTS`] and [`MAX_KEY_FACTS_CHARS`].
pub fn missing(summary: &str, sources: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut chars = 0;
    for source in sources.iter().rev() {
        for fact in extract(source) {
            if out.len() >= MAX_KEY_FACTS {
                return out;
            }
            if mentions(summary, &fact) || out.iter().any(|f| mentions(f, &fact)) {
                continue;
            }
            let len = fact.chars().count() + 2;
            if chars + len > MAX_KEY_FACTS_CHARS {
                continue;
            }
            chars += len;
            out.push(fact);
        }
    }
    out
}

/// The summary with a "Key facts" list of what it missed appended (or as it was, when it missed
/// nothing). A "Key facts" list the model copied from the previous summary is kept as prose.
pub fn with_key_facts(summary: &str, missing: &[String]) -> String {
    if missing.is_empty() {
        return summary.trim().to_owned();
    }
    format!(
        "{}\n\n{KEY_FACTS_HEADING} {}",
        summary.trim(),
        missing.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(facts: &[String], want: &str) -> bool {
        facts.iter().any(|f| f == want)
    }

    #[test]
    fn extracts_each_kind_of_fact() {
        let text = "My name is Ada Lovelace and I live in Oslo. Call me at ada@example.org. \
                    The budget is $4,500 and 15% goes to rent; the deadline is 2027-03-14 \
                    (or March 3rd, 2027). See https://example.com/plan?x=1. \
                    The bug is in parse_config() inside src/config.rs, see `Store::open` and \
                    maxTokens. I have 3 cats.";
        let facts = extract(text);
        for want in [
            "Ada Lovelace",
            "Oslo",
            "ada@example.org",
            "$4,500",
            "15%",
            "2027-03-14",
            "March 3rd, 2027",
            "https://example.com/plan?x=1",
            "parse_config()",
            "Store::open",
            "maxTokens",
        ] {
            assert!(has(&facts, want), "{want} missing from {facts:?}");
        }
        assert!(!has(&facts, "The"), "{facts:?}");
        assert!(!has(&facts, "3"), "single digits are noise: {facts:?}");
        assert!(
            !facts.iter().any(|f| f == "14" || f == "2027"),
            "parts of a date: {facts:?}"
        );
    }

    #[test]
    fn identifiers_are_kept_whole() {
        let facts =
            extract("Fixed in PROJ-1234, see CVE-2024-3094 and ticket ab-12 on 2024-03-29.");
        assert!(has(&facts, "PROJ-1234"), "{facts:?}");
        assert!(has(&facts, "CVE-2024-3094"), "{facts:?}");
        assert!(!has(&facts, "1234") && !has(&facts, "3094"), "{facts:?}");
        assert!(has(&facts, "2024-03-29"), "{facts:?}");
        let summary = "The login bug is tracked as 1234.";
        assert_eq!(
            missing(summary, &["The login bug is PROJ-1234."]),
            ["PROJ-1234"]
        );
    }

    #[test]
    fn sentence_starts_are_not_names_unless_seen_elsewhere() {
        let facts = extract("Sounds good. Tomorrow works.\nBerlin is nice. I like Berlin.");
        assert!(!has(&facts, "Sounds"));
        assert!(!has(&facts, "Tomorrow"));
        assert!(has(&facts, "Berlin"), "{facts:?}");
    }

    #[test]
    fn missing_lists_what_the_summary_dropped() {
        let turns = [
            "User: I'm Priya and my flight is on 2027-05-02 to Lisbon.",
            "Assistant: Noted, Priya. Your booking code is QX7-19.",
        ];
        let summary = "Priya is flying to Lisbon.";
        let missing = missing(summary, &turns);
        assert!(has(&missing, "2027-05-02"), "{missing:?}");
        assert!(!has(&missing, "Priya"));
        assert!(!has(&missing, "Lisbon"));
        let out = with_key_facts(summary, &missing);
        assert!(out.starts_with("Priya is flying to Lisbon.\n\nKey facts: "));
        assert!(out.contains("2027-05-02"));
    }

    #[test]
    fn the_list_is_bounded() {
        let text: String = (0..200).map(|i| format!("Code {i}{i}{i}. ")).collect();
        let missing = missing("", &[&text]);
        assert!(missing.len() <= MAX_KEY_FACTS);
        assert!(
            missing.iter().map(|f| f.chars().count() + 2).sum::<usize>() <= MAX_KEY_FACTS_CHARS
        );
    }

    #[test]
    fn mentions_ignores_case_spacing_and_separators() {
        assert!(mentions("costs 4500 dollars", "4,500"));
        assert!(mentions("Ada  LOVELACE", "ada lovelace"));
        assert!(!mentions("Ada", "Ada Lovelace"));
    }
}
