//! The `conversations` table.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{
    from_ms, ConversationId, ProjectId, Result, Store, StoreError, MAX_SYSTEM_PROMPT_BYTES,
    MAX_TITLE_CHARS,
};

/// The title of a conversation nobody has named yet.
pub const DEFAULT_TITLE: &str = "New chat";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Conversation {
    pub id: ConversationId,
    pub title: String,
    pub system_prompt: String,
    pub model: Option<String>,
    /// Generation parameters and per-chat options (temperature, memory strategy, …) as JSON.
    #[ts(type = "Record<string, unknown>")]
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Last activity: creation, a message, a rename.
    pub updated_at: DateTime<Utc>,
    pub pinned: bool,
    pub archived: bool,
    /// Who named the chat; only the user's (or an imported) title is never replaced.
    #[serde(default)]
    pub title_source: TitleSource,
    /// The project it belongs to, whose defaults it inherits.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
}

/// Who named a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TitleSource {
    /// Nobody yet: the title is [`DEFAULT_TITLE`].
    Default,
    /// Taken from the first question, until the model names the chat.
    FirstMessage,
    /// Written by the model after the first reply.
    Model,
    /// Typed by the user, or imported.
    #[default]
    User,
}

impl TitleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::FirstMessage => "first_message",
            Self::Model => "model",
            Self::User => "user",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "default" => Self::Default,
            "first_message" => Self::FirstMessage,
            "model" => Self::Model,
            _ => Self::User,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewConversation {
    /// Blank means [`DEFAULT_TITLE`].
    pub title: String,
    pub system_prompt: String,
    pub model: Option<String>,
    /// `Null` means `{}`.
    pub params: serde_json::Value,
    pub project_id: Option<ProjectId>,
}

/// Which chats a list holds, by project.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InProject {
    /// Every chat, in a project or not.
    #[default]
    Any,
    /// Only chats outside every project.
    None,
    /// Only the chats of this project.
    Is(ProjectId),
}

/// A change to a conversation's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConversationSettings {
    pub system_prompt: Option<String>,
    /// `Some(None)` clears the model (use the default one).
    pub model: Option<Option<String>>,
    pub params: Option<serde_json::Value>,
}

/// Where a page of the conversation list ended; pass it back for the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
// Opaque to front ends: they hand it back as they got it.
#[ts(type = "unknown")]
pub struct ConversationCursor {
    pinned: bool,
    updated_at: i64,
    id: i64,
}

#[derive(Debug, Clone)]
pub struct ListConversations {
    pub limit: u32,
    pub after: Option<ConversationCursor>,
    pub include_archived: bool,
    /// Only conversations whose title contains this text (case-insensitive for ASCII).
    pub title_contains: Option<String>,
    pub project: InProject,
}

impl Default for ListConversations {
    fn default() -> Self {
        Self {
            limit: 50,
            after: None,
            include_archived: false,
            title_contains: None,
            project: InProject::Any,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Page<T, C = ConversationCursor> {
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next: Option<C>,
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: i64,
    title: String,
    system_prompt: String,
    model: Option<String>,
    params: String,
    created_at: i64,
    updated_at: i64,
    pinned: bool,
    archived: bool,
    title_source: String,
    project_id: Option<i64>,
}

impl From<ConversationRow> for Conversation {
    fn from(row: ConversationRow) -> Self {
        Self {
            id: ConversationId(row.id),
            title: row.title,
            system_prompt: row.system_prompt,
            model: row.model,
            // The column has a json_valid CHECK, so this only falls back on a hand-edited file.
            params: serde_json::from_str(&row.params)
                .unwrap_or_else(|_| serde_json::Value::Object(Default::default())),
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
            pinned: row.pinned,
            archived: row.archived,
            title_source: TitleSource::parse(&row.title_source),
            project_id: row.project_id.map(ProjectId),
        }
    }
}

const COLUMNS: &str = "id, title, system_prompt, model, params, created_at, updated_at, pinned, \
                       archived, title_source, project_id";

pub(super) fn clean_title(title: &str) -> Result<String> {
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(StoreError::invalid("a chat's title cannot be empty"));
    }
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        return Err(StoreError::invalid(format!(
            "the title is {chars} characters long; the limit is {MAX_TITLE_CHARS}"
        )));
    }
    Ok(title)
}

pub(crate) fn check_system_prompt(prompt: &str) -> Result<()> {
    if prompt.len() > MAX_SYSTEM_PROMPT_BYTES {
        return Err(StoreError::invalid(format!(
            "the system prompt is {} bytes; the limit is {} KB — shorten it",
            prompt.len(),
            MAX_SYSTEM_PROMPT_BYTES / 1024
        )));
    }
    Ok(())
}

pub(super) fn params_json(params: &serde_json::Value) -> Result<String> {
    match params {
        serde_json::Value::Null => Ok("{}".to_owned()),
        serde_json::Value::Object(_) => Ok(params.to_string()),
        _ => Err(StoreError::invalid(
            "a chat's parameters must be a JSON object",
        )),
    }
}

fn not_found(id: ConversationId) -> StoreError {
    StoreError::NotFound {
        entity: "conversation",
        id: id.0,
    }
}

impl Store {
    pub async fn create_conversation(&self, new: NewConversation) -> Result<Conversation> {
        let (title, source) = if new.title.trim().is_empty() {
            (DEFAULT_TITLE.to_owned(), TitleSource::Default)
        } else {
            (clean_title(&new.title)?, TitleSource::User)
        };
        check_system_prompt(&new.system_prompt)?;
        let params = params_json(&new.params)?;
        let now = self.now_ms();
        let row: ConversationRow = sqlx::query_as(&format!(
            "INSERT INTO conversations (title, system_prompt, model, params, created_at, updated_at,
                                        title_source, project_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}"
        ))
        .bind(title)
        .bind(new.system_prompt)
        .bind(new.model)
        .bind(params)
        .bind(now)
        .bind(now)
        .bind(source.as_str())
        .bind(new.project_id.map(|p| p.0))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound {
                entity: "project",
                id: new.project_id.map_or(0, |p| p.0),
            },
            _ => e.into(),
        })?;
        Ok(row.into())
    }

    pub async fn get_conversation(&self, id: ConversationId) -> Result<Conversation> {
        let row: Option<ConversationRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM conversations WHERE id = ?"))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Into::into).ok_or_else(|| not_found(id))
    }

    /// Renames a conversation (the user's title: never replaced automatically); counts as
    /// activity.
    pub async fn rename_conversation(
        &self,
        id: ConversationId,
        title: &str,
    ) -> Result<Conversation> {
        let title = clean_title(title)?;
        let row: Option<ConversationRow> = sqlx::query_as(&format!(
            "UPDATE conversations SET title = ?, title_source = 'user', updated_at = ? WHERE id = ?
             RETURNING {COLUMNS}"
        ))
        .bind(title)
        .bind(self.now_ms())
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Into::into).ok_or_else(|| not_found(id))
    }

    /// Gives the conversation an automatic title from `source` (the first question, or the
    /// model), unless someone with a better claim named it first: the first question names only
    /// an unnamed chat, the model only a chat named after its first question, and nothing
    /// replaces the user's title. Returns the conversation when the title changed. Not activity:
    /// the list's order stays.
    pub async fn set_automatic_title(
        &self,
        id: ConversationId,
        title: &str,
        source: TitleSource,
    ) -> Result<Option<Conversation>> {
        let replaces = match source {
            TitleSource::FirstMessage => TitleSource::Default,
            TitleSource::Model => TitleSource::FirstMessage,
            TitleSource::Default | TitleSource::User => {
                return Err(StoreError::invalid(
                    "an automatic title comes from the first question or the model",
                ))
            }
        };
        let title = clean_title(title)?;
        let row: Option<ConversationRow> = sqlx::query_as(&format!(
            "UPDATE conversations SET title = ?, title_source = ? WHERE id = ? AND title_source = ?
             RETURNING {COLUMNS}"
        ))
        .bind(title)
        .bind(source.as_str())
        .bind(id.0)
        .bind(replaces.as_str())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some(row.into())),
            // Tell an unknown id from a title that was not ours to change.
            None => self.get_conversation(id).await.map(|_| None),
        }
    }

    /// Changes the system prompt, model or parameters; does not reorder the list.
    pub async fn update_conversation_settings(
        &self,
        id: ConversationId,
        settings: ConversationSettings,
    ) -> Result<Conversation> {
        if let Some(prompt) = &settings.system_prompt {
            check_system_prompt(prompt)?;
        }
        let params = settings.params.as_ref().map(params_json).transpose()?;
        let mut tx = self.write_tx().await?;
        let current: Option<ConversationRow> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM conversations WHERE id = ?"))
                .bind(id.0)
                .fetch_optional(&mut tx)
                .await?;
        let current = current.ok_or_else(|| not_found(id))?;
        let row: ConversationRow = sqlx::query_as(&format!(
            "UPDATE conversations SET system_prompt = ?, model = ?, params = ? WHERE id = ?
             RETURNING {COLUMNS}"
        ))
        .bind(settings.system_prompt.unwrap_or(current.system_prompt))
        .bind(settings.model.unwrap_or(current.model))
        .bind(params.unwrap_or(current.params))
        .bind(id.0)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    pub async fn set_pinned(&self, id: ConversationId, pinned: bool) -> Result<Conversation> {
        self.set_flag(id, "pinned", pinned).await
    }

    pub async fn set_archived(&self, id: ConversationId, archived: bool) -> Result<Conversation> {
        self.set_flag(id, "archived", archived).await
    }

    async fn set_flag(
        &self,
        id: ConversationId,
        column: &str,
        value: bool,
    ) -> Result<Conversation> {
        let row: Option<ConversationRow> = sqlx::query_as(&format!(
            "UPDATE conversations SET {column} = ? WHERE id = ? RETURNING {COLUMNS}"
        ))
        .bind(value)
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(Into::into).ok_or_else(|| not_found(id))
    }

    /// Deletes a conversation with its messages and summaries.
    pub async fn delete_conversation(&self, id: ConversationId) -> Result<()> {
        // The write lock up front: the cascade reads before it writes (messages, both search
        // indexes), and another connection's write in between must not fail it.
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM conversations WHERE id = ?")
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(not_found(id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of conversations: pinned first, then the most recently active.
    pub async fn list_conversations(&self, query: ListConversations) -> Result<Page<Conversation>> {
        let limit = query.limit.clamp(1, 1000);
        let filter = query
            .title_contains
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| format!("%{}%", escape_like(f)));
        // Only the conditions that apply, so SQLite can seek in an index (by project, or by
        // activity) and read a page in order; with `?1 OR …` placeholders for the unused ones it
        // scanned and sorted the whole table for every page (8.6 ms a page at 10,000 chats).
        let mut conditions = Vec::new();
        if !query.include_archived {
            conditions.push("archived = 0");
        }
        if filter.is_some() {
            conditions.push("title LIKE ? ESCAPE '\\'");
        }
        let project = match query.project {
            InProject::Any => None,
            InProject::None => {
                conditions.push("project_id IS NULL");
                None
            }
            InProject::Is(p) => {
                conditions.push("project_id = ?");
                Some(p.0)
            }
        };
        if query.after.is_some() {
            // Row-value comparison gives keyset paging over (pinned, updated_at, id), all
            // descending.
            conditions.push("(pinned, updated_at, id) < (?, ?, ?)");
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM conversations {filter_sql}
             ORDER BY pinned DESC, updated_at DESC, id DESC
             LIMIT ?"
        );
        let mut select = sqlx::query_as::<_, ConversationRow>(&sql);
        if let Some(filter) = filter {
            select = select.bind(filter);
        }
        if let Some(project) = project {
            select = select.bind(project);
        }
        if let Some(c) = query.after {
            select = select.bind(c.pinned).bind(c.updated_at).bind(c.id);
        }
        let rows = select
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let mut items: Vec<Conversation> = rows.into_iter().map(Into::into).collect();
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|c| ConversationCursor {
                pinned: c.pinned,
                updated_at: c.updated_at.timestamp_millis(),
                id: c.id.0,
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_tidied_and_bounded() {
        assert_eq!(clean_title("  Trip   to\tOslo \n").unwrap(), "Trip to Oslo");
        assert!(matches!(
            clean_title("   "),
            Err(StoreError::InvalidInput(_))
        ));
        assert!(clean_title(&"é".repeat(MAX_TITLE_CHARS)).is_ok());
        assert!(clean_title(&"é".repeat(MAX_TITLE_CHARS + 1)).is_err());
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
