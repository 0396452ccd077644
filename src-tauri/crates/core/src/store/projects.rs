//! The `projects` table: named groups of chats with defaults their chats inherit (the merge is
//! [`crate::inherit`]'s), and moving chats into and out of them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{from_ms, ConversationId, ProjectId, Store, StoreError};
use crate::error::{Coded, ErrorCode};
use crate::settings::Strategy;

/// The longest project name, in characters.
pub const MAX_PROJECT_NAME_CHARS: usize = 100;

/// A project with its chat count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    pub defaults: ProjectDefaults,
    /// Whether the sidebar shows it folded.
    pub collapsed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Its chats, archived ones included.
    #[ts(type = "number")]
    pub chats: u64,
}

/// What a project's chats inherit; `None` (or a blank prompt or model): the app's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ProjectDefaults {
    pub system_prompt: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub memory: Option<Strategy>,
}

/// What happens to a project's chats when it is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ProjectChats {
    /// They stay, outside any project.
    MoveOut,
    /// They are deleted with it, messages and all.
    Delete,
}

/// What deleting a project did to its chats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeletedProject {
    #[ts(type = "number")]
    pub moved_out: u64,
    #[ts(type = "number")]
    pub deleted: u64,
}

/// Errors about projects, worded for a person.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("there is already a project named “{0}” (names ignore case): choose another name")]
    NameTaken(String),
    #[error("there is no project named “{0}”: `confab-cli projects` lists them")]
    UnknownName(String),
    #[error("project {0} was not found — it may have been deleted")]
    NotFound(ProjectId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for ProjectError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NameTaken(_) => ErrorCode::ProjectNameTaken,
            Self::UnknownName(_) | Self::NotFound(_) => ErrorCode::ProjectNotFound,
            Self::Store(e) => e.code(),
        }
    }
}

impl From<sqlx::Error> for ProjectError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

type Result<T> = std::result::Result<T, ProjectError>;

#[derive(sqlx::FromRow)]
struct ProjectRow {
    id: i64,
    name: String,
    system_prompt: Option<String>,
    model: Option<String>,
    temperature: Option<f64>,
    memory: Option<String>,
    collapsed: bool,
    created_at: i64,
    updated_at: i64,
    chats: i64,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Self {
        Self {
            id: ProjectId(row.id),
            name: row.name,
            defaults: ProjectDefaults {
                system_prompt: row.system_prompt,
                model: row.model,
                temperature: row.temperature,
                memory: row.memory.as_deref().and_then(Strategy::parse),
            },
            collapsed: row.collapsed,
            created_at: from_ms(row.created_at),
            updated_at: from_ms(row.updated_at),
            chats: row.chats.max(0) as u64,
        }
    }
}

const SELECT: &str = "SELECT p.id, p.name, p.system_prompt, p.model, p.temperature, p.memory, \
                      p.collapsed, p.created_at, p.updated_at, \
                      (SELECT count(*) FROM conversations c WHERE c.project_id = p.id) AS chats \
                      FROM projects p";

/// The name tidied (inner whitespace folded) and checked, and the key two names that differ by
/// case alone share.
fn clean_name(name: &str) -> Result<(String, String)> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(StoreError::invalid("a project's name cannot be empty").into());
    }
    let chars = name.chars().count();
    if chars > MAX_PROJECT_NAME_CHARS {
        return Err(StoreError::invalid(format!(
            "the project name is {chars} characters long; the limit is {MAX_PROJECT_NAME_CHARS}"
        ))
        .into());
    }
    let key = name.to_lowercase();
    Ok((name, key))
}

impl ProjectDefaults {
    /// Tidied (a blank prompt or model means "inherit") and checked.
    fn cleaned(self) -> Result<Self> {
        let blank_is_none = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        let out = Self {
            system_prompt: blank_is_none(self.system_prompt),
            model: blank_is_none(self.model).map(|m| m.trim().to_owned()),
            temperature: self.temperature,
            memory: self.memory,
        };
        crate::settings::check_generation(out.temperature, None, None, None)?;
        if let Some(prompt) = &out.system_prompt {
            super::check_system_prompt(prompt)?;
        }
        if out.model.as_ref().is_some_and(|m| m.len() > 256) {
            return Err(StoreError::invalid("a model name is at most 256 characters").into());
        }
        Ok(out)
    }
}

/// A unique-constraint failure on `name_key` is a taken name, not a storage fault.
fn name_taken(e: sqlx::Error, name: &str) -> ProjectError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            ProjectError::NameTaken(name.to_owned())
        }
        _ => e.into(),
    }
}

impl Store {
    /// Creates a project after the others in the sidebar.
    pub async fn create_project(&self, name: &str, defaults: ProjectDefaults) -> Result<Project> {
        let (name, key) = clean_name(name)?;
        let defaults = defaults.cleaned()?;
        let now = self.now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO projects (name, name_key, system_prompt, model, temperature, memory,
                                   position, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM projects), ?, ?)
             RETURNING id",
        )
        .bind(&name)
        .bind(key)
        .bind(defaults.system_prompt)
        .bind(defaults.model)
        .bind(defaults.temperature)
        .bind(defaults.memory.map(Strategy::as_str))
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| name_taken(e, &name))?;
        self.get_project(ProjectId(id)).await
    }

    /// Every project in the sidebar's order, each with its chat count.
    pub async fn projects(&self) -> Result<Vec<Project>> {
        let rows: Vec<ProjectRow> = sqlx::query_as(&format!("{SELECT} ORDER BY p.position, p.id"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn get_project(&self, id: ProjectId) -> Result<Project> {
        let row: Option<ProjectRow> = sqlx::query_as(&format!("{SELECT} WHERE p.id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Into::into).ok_or(ProjectError::NotFound(id))
    }

    /// The project of that name, whatever its case.
    pub async fn project_named(&self, name: &str) -> Result<Project> {
        let (clean, key) = clean_name(name)?;
        let row: Option<ProjectRow> = sqlx::query_as(&format!("{SELECT} WHERE p.name_key = ?"))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Into::into).ok_or(ProjectError::UnknownName(clean))
    }

    /// The project of that name, created (with no defaults of its own) when there is none.
    pub async fn project_named_or_created(&self, name: &str) -> Result<Project> {
        match self.project_named(name).await {
            Err(ProjectError::UnknownName(_)) => {
                match self.create_project(name, ProjectDefaults::default()).await {
                    // Someone else created it in between: theirs is the one.
                    Err(ProjectError::NameTaken(_)) => self.project_named(name).await,
                    created => created,
                }
            }
            found => found,
        }
    }

    pub async fn rename_project(&self, id: ProjectId, name: &str) -> Result<Project> {
        let (name, key) = clean_name(name)?;
        let done =
            sqlx::query("UPDATE projects SET name = ?, name_key = ?, updated_at = ? WHERE id = ?")
                .bind(&name)
                .bind(key)
                .bind(self.now_ms())
                .bind(id.0)
                .execute(&self.pool)
                .await
                .map_err(|e| name_taken(e, &name))?;
        self.changed(id, done).await
    }

    /// Replaces the project's defaults.
    pub async fn set_project_defaults(
        &self,
        id: ProjectId,
        defaults: ProjectDefaults,
    ) -> Result<Project> {
        let defaults = defaults.cleaned()?;
        let done = sqlx::query(
            "UPDATE projects SET system_prompt = ?, model = ?, temperature = ?, memory = ?,
                                 updated_at = ?
             WHERE id = ?",
        )
        .bind(defaults.system_prompt)
        .bind(defaults.model)
        .bind(defaults.temperature)
        .bind(defaults.memory.map(Strategy::as_str))
        .bind(self.now_ms())
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        self.changed(id, done).await
    }

    pub async fn set_project_collapsed(&self, id: ProjectId, collapsed: bool) -> Result<Project> {
        let done = sqlx::query("UPDATE projects SET collapsed = ? WHERE id = ?")
            .bind(collapsed)
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        self.changed(id, done).await
    }

    /// The project as an update left it, or [`ProjectError::NotFound`] when the update found no
    /// such project.
    async fn changed(
        &self,
        id: ProjectId,
        done: sqlx::sqlite::SqliteQueryResult,
    ) -> Result<Project> {
        if done.rows_affected() == 0 {
            return Err(ProjectError::NotFound(id));
        }
        self.get_project(id).await
    }

    /// Deletes the project; its chats move out or are deleted with it, all in one transaction.
    pub async fn delete_project(
        &self,
        id: ProjectId,
        chats: ProjectChats,
    ) -> Result<DeletedProject> {
        let mut tx = self.write_tx().await?;
        let (count,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM conversations WHERE project_id = ?")
                .bind(id.0)
                .fetch_one(&mut tx)
                .await?;
        let count = count.max(0) as u64;
        if chats == ProjectChats::Delete {
            sqlx::query("DELETE FROM conversations WHERE project_id = ?")
                .bind(id.0)
                .execute(&mut tx)
                .await?;
        }
        // The rest move out through the foreign key's ON DELETE SET NULL.
        let done = sqlx::query("DELETE FROM projects WHERE id = ?")
            .bind(id.0)
            .execute(&mut tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(ProjectError::NotFound(id));
        }
        tx.commit().await?;
        Ok(match chats {
            ProjectChats::MoveOut => DeletedProject {
                moved_out: count,
                deleted: 0,
            },
            ProjectChats::Delete => DeletedProject {
                moved_out: 0,
                deleted: count,
            },
        })
    }

    /// Moves a chat into a project, or out of every project with `None`. Not activity: the
    /// chat keeps its place in time.
    pub async fn move_to_project(
        &self,
        conversation: ConversationId,
        project: Option<ProjectId>,
    ) -> Result<super::Conversation> {
        if let Some(project) = project {
            let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM projects WHERE id = ?")
                .bind(project.0)
                .fetch_optional(&self.pool)
                .await?;
            if exists.is_none() {
                return Err(ProjectError::NotFound(project));
            }
        }
        let done = sqlx::query("UPDATE conversations SET project_id = ? WHERE id = ?")
            .bind(project.map(|p| p.0))
            .bind(conversation.0)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "conversation",
                id: conversation.0,
            }
            .into());
        }
        Ok(self.get_conversation(conversation).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_tidied_and_keyed_by_case() {
        let (name, key) = clean_name("  Über   Reise ").unwrap();
        assert_eq!(name, "Über Reise");
        assert_eq!(key, "über reise");
        assert_eq!(clean_name("ÜBER reise").unwrap().1, key);
        assert!(clean_name("  ").is_err());
        assert!(clean_name(&"x".repeat(MAX_PROJECT_NAME_CHARS + 1)).is_err());
    }
}
