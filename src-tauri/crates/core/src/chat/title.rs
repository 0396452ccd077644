//! Model-written titles. A new chat is named after its first question at once; after the first
//! complete reply the model is asked, in the background, for a short title that replaces it —
//! unless the user has named the chat meanwhile (see [`Store::set_automatic_title`]).
//!
//! [`Store::set_automatic_title`]: crate::store::Store::set_automatic_title

use crate::llm::{ChatMessage, ChatRequest};
use crate::store::{Message, MessageStatus, Role};

/// The system prompt of a title request. Test servers recognise title requests by it.
pub const TITLE_INSTRUCTIONS: &str = "You name chats. Reply with only a short title (two to six \
     words) for the conversation below, in its language: no quotes, no preface, no punctuation at \
     the end.";

/// How much of the first question and answer the title request carries.
const EXCERPT_CHARS: usize = 1_500;
/// Enough tokens for a title and some slack; a thinking model that spends them all on thought
/// leaves no title, and the first question's stays.
const TITLE_MAX_TOKENS: u32 = 48;
/// The longest title kept, like a title made from the first question.
const TITLE_MAX_CHARS: usize = 60;

/// The title request for a chat that began with `messages` (its first visible messages, oldest
/// first), or `None` when it has no complete first question and answer yet.
pub(crate) fn request(model: Option<String>, messages: &[Message]) -> Option<ChatRequest> {
    let question = messages.iter().find(|m| m.role == Role::User)?;
    let answer = messages.iter().find(|m| {
        m.role == Role::Assistant
            && m.id > question.id
            && m.status == MessageStatus::Complete
            && !m.content.trim().is_empty()
    })?;
    let prompt = format!(
        "User: {}\n\nAssistant: {}",
        excerpt(&question.content),
        excerpt(&answer.content)
    );
    Some(ChatRequest {
        model,
        messages: vec![
            ChatMessage::system(TITLE_INSTRUCTIONS),
            ChatMessage::user(prompt),
        ],
        temperature: Some(0.2),
        max_tokens: Some(TITLE_MAX_TOKENS),
        ..Default::default()
    })
}

fn excerpt(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A title from what the model wrote: its first line without thinking, a "Title:" label,
/// Markdown marks, quotes or a closing full stop, at most [`TITLE_MAX_CHARS`] characters (cut at a
/// word). `None` when nothing usable is left.
pub fn tidy(raw: &str) -> Option<String> {
    let text = strip_thinking(raw);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let mut line = line.trim_start_matches(['#', '*', '_', '`', '>', '-', ' ']);
    for label in ["title:", "chat title:", "title -"] {
        if line
            .get(..label.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(label))
        {
            line = &line[label.len()..];
        }
    }
    const WRAPPERS: &[char] = &[
        '"', '\'', '“', '”', '‘', '’', '«', '»', '*', '_', '`', ' ', '.',
    ];
    let line = line.trim_matches(WRAPPERS);
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.is_empty() || !line.chars().any(char::is_alphanumeric) {
        return None;
    }
    let mut title = String::new();
    for word in words {
        let wanted = title.chars().count() + usize::from(!title.is_empty()) + word.chars().count();
        if wanted > TITLE_MAX_CHARS {
            if title.is_empty() {
                title = word.chars().take(TITLE_MAX_CHARS - 1).collect();
            }
            title = title.trim_end_matches([',', ';', ':', '-', ' ']).to_owned();
            title.push('…');
            return Some(title);
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    Some(title)
}

/// The text without `<think>…</think>` blocks (an unclosed one takes the rest).
fn strip_thinking(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find("<think>") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</think>") {
            Some(end) => rest = &rest[start + end + "</think>".len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn plain_titles_are_kept() {
        assert_eq!(tidy("Trip to Oslo").as_deref(), Some("Trip to Oslo"));
        assert_eq!(
            tidy("  Rust lifetimes explained  \n").as_deref(),
            Some("Rust lifetimes explained")
        );
    }

    #[test]
    fn labels_quotes_marks_and_full_stops_go() {
        for raw in [
            "Title: Trip to Oslo",
            "\"Trip to Oslo\"",
            "**Trip to Oslo**",
            "# Trip to Oslo.",
            "“Trip to Oslo”",
            "TITLE: 'Trip to Oslo'",
            "\n\nTrip to Oslo\nThis chat is about a trip.",
        ] {
            assert_eq!(tidy(raw).as_deref(), Some("Trip to Oslo"), "{raw:?}");
        }
        assert_eq!(
            tidy("Why is the sky blue?").as_deref(),
            Some("Why is the sky blue?")
        );
    }

    #[test]
    fn thinking_is_not_a_title() {
        assert_eq!(
            tidy("<think>The user asks about Oslo.</think>\nTrip to Oslo").as_deref(),
            Some("Trip to Oslo")
        );
        assert_eq!(tidy("<think>Still thinking when the tokens ran out"), None);
    }

    #[test]
    fn nothing_usable_gives_none() {
        for raw in ["", "   \n ", "\"\"", "...", "**", "Title:"] {
            assert_eq!(tidy(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let raw = "A very long title that goes on and on about many different things at once";
        let title = tidy(raw).unwrap();
        assert!(title.chars().count() <= 60, "{title}");
        assert!(title.ends_with('…'));
        assert!(raw.starts_with(title.trim_end_matches('…')));
        let one_word = "x".repeat(200);
        assert_eq!(tidy(&one_word).unwrap().chars().count(), 60);
        assert_eq!(
            tidy("Ünïcødé 标题 テスト").as_deref(),
            Some("Ünïcødé 标题 テスト")
        );
    }
}
