//! Every title Confab writes itself. A new chat is named after its first question at once; after
//! the first complete reply the model is asked, in the background, for a short title that
//! replaces it — unless the user has named the chat meanwhile (see
//! [`Store::set_automatic_title`]). A failing server is asked twice per process at most.
//!
//! [`Store::set_automatic_title`]: crate::store::Store::set_automatic_title

use std::sync::Arc;

use super::{ChatService, ServiceUpdate};
use crate::llm::{ChatMessage, ChatRequest, LlmError};
use crate::settings::AppSettings;
use crate::store::{
    Conversation, ConversationId, Message, MessageStatus, Role, StoreError, TitleSource,
};

/// The system prompt of a title request. Test servers recognise title requests by it.
pub const TITLE_INSTRUCTIONS: &str = "You name chats. Reply with only a short title (two to six \
     words) for the conversation below, in its language: no quotes, no preface, no punctuation at \
     the end.";

/// How much of the first question and answer the title request carries.
const EXCERPT_CHARS: usize = 1_500;
/// Enough tokens for a title and some slack; a thinking model that spends them all on thought
/// leaves no title, and the first question's stays.
const TITLE_MAX_TOKENS: u32 = 48;
/// The longest title Confab writes itself, from the first question or the model's answer (a
/// title the user types may be longer, up to [`crate::store::MAX_TITLE_CHARS`]).
pub const AUTO_TITLE_CHARS: usize = 60;

/// The title requests made for one chat in this process, and whether one is running.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct TitleAttempts {
    made: u8,
    running: bool,
}

/// How many times one process asks for a chat's title before leaving the first question's.
const TITLE_ATTEMPTS: u8 = 2;

/// Why a chat could not be named by the model.
#[derive(Debug, thiserror::Error)]
pub enum TitleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("the model's answer held no usable title")]
    Empty,
}

impl ChatService {
    /// Names a chat that still has the default title after `first_message`, its first question.
    pub(super) async fn name_after_first_message(
        &self,
        conversation_id: ConversationId,
        first_message: &str,
    ) -> Result<(), StoreError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        if conversation.title_source == TitleSource::Default {
            let title = title_from(first_message);
            if !title.is_empty() {
                self.store
                    .set_automatic_title(conversation_id, &title, TitleSource::FirstMessage)
                    .await?;
            }
        }
        Ok(())
    }

    /// Asks the model for a title for a chat still named after its first question, and gives it
    /// that title unless the user renames it first. `Ok(None)` when there is nothing to do: the
    /// chat is named already, it has no complete first answer yet, or model titles are off in the
    /// settings.
    pub async fn name_by_model(
        &self,
        conversation_id: ConversationId,
    ) -> Result<Option<Conversation>, TitleError> {
        let conversation = self.store.get_conversation(conversation_id).await?;
        if conversation.title_source != TitleSource::FirstMessage {
            return Ok(None);
        }
        let settings = AppSettings::load(&self.store).await;
        if !settings.model_titles {
            return Ok(None);
        }
        let first = self.store.first_messages(conversation_id, 8).await?;
        let model = crate::inherit::with_project(&self.store, &conversation)
            .await?
            .model
            .or(settings.model);
        let Some(request) = request(model, &first) else {
            return Ok(None);
        };
        let completion = self.client().complete(&request, &self.shutdown).await?;
        let title = tidy(&completion.content).ok_or(TitleError::Empty)?;
        let renamed = self
            .store
            .set_automatic_title(conversation_id, &title, TitleSource::Model)
            .await?;
        if let Some(conversation) = &renamed {
            // Nobody listening is fine.
            let _ = self.updates.send(ServiceUpdate::Retitled {
                conversation: Box::new(conversation.clone()),
            });
        }
        Ok(renamed)
    }

    /// Names the chat by the model in the background, after a complete reply, when it still
    /// carries its first question's title (checked in the task). Never delays a reply.
    pub fn name_in_background(self: &Arc<Self>, conversation_id: ConversationId) {
        {
            let mut titling = self.titling.lock().unwrap_or_else(|e| e.into_inner());
            let attempts = titling.entry(conversation_id).or_default();
            if attempts.running || attempts.made >= TITLE_ATTEMPTS {
                return;
            }
            attempts.running = true;
        }
        let service = self.clone();
        self.tasks.spawn(async move {
            let result = service.name_by_model(conversation_id).await;
            {
                let mut titling = service.titling.lock().unwrap_or_else(|e| e.into_inner());
                let attempts = titling.entry(conversation_id).or_default();
                attempts.running = false;
                match &result {
                    // Named, or nothing to name: no need to ask again in this process.
                    Ok(_) => attempts.made = TITLE_ATTEMPTS,
                    Err(_) => attempts.made += 1,
                }
            }
            match result {
                Ok(Some(c)) => {
                    tracing::info!(conversation = %conversation_id, title = %c.title, "the model named the chat")
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::warn!(conversation = %conversation_id, %err, "the model could not name the chat")
                }
            }
        });
    }
}

/// A title from a chat's first message: its first line, tidied and shortened.
pub fn title_from(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let tidy = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if tidy.chars().count() > AUTO_TITLE_CHARS {
        let cut: String = tidy.chars().take(AUTO_TITLE_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        tidy
    }
}

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
/// Markdown marks, quotes or a closing full stop, at most [`AUTO_TITLE_CHARS`] characters (cut at a
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
        if wanted > AUTO_TITLE_CHARS {
            if title.is_empty() {
                title = word.chars().take(AUTO_TITLE_CHARS - 1).collect();
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
    use super::{tidy, title_from};

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(title_from("\n  Plan a  trip\nto Oslo"), "Plan a trip");
        let long = "word ".repeat(30);
        let title = title_from(&long);
        assert_eq!(title.chars().count(), 60);
        assert!(title.ends_with('…'));
    }

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
