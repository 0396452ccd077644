//! Projects: listing, creating, renaming, their defaults, folding, deleting (with or without
//! their chats), moving chats in and out, exporting one, and where a chat's options come from.

use confab_core::export;
use confab_core::inherit::{self, ResolvedOptions};
use confab_core::store::{
    Conversation, ConversationId, DeletedProject, Project, ProjectChats, ProjectDefaults, ProjectId,
};
use tauri::State;

use super::transfer::Exported;
use crate::error::IpcError;
use crate::state::AppState;

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<Project>, IpcError> {
    Ok(state.store().projects().await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn create_project(
    state: State<'_, AppState>,
    name: String,
    defaults: ProjectDefaults,
) -> Result<Project, IpcError> {
    Ok(state.store().create_project(&name, defaults).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn rename_project(
    state: State<'_, AppState>,
    id: i64,
    name: String,
) -> Result<Project, IpcError> {
    Ok(state.store().rename_project(ProjectId(id), &name).await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_project_defaults(
    state: State<'_, AppState>,
    id: i64,
    defaults: ProjectDefaults,
) -> Result<Project, IpcError> {
    Ok(state
        .store()
        .set_project_defaults(ProjectId(id), defaults)
        .await?)
}

#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_project_collapsed(
    state: State<'_, AppState>,
    id: i64,
    collapsed: bool,
) -> Result<Project, IpcError> {
    Ok(state
        .store()
        .set_project_collapsed(ProjectId(id), collapsed)
        .await?)
}

/// Deletes a project; its chats move out or are deleted with it (replies streaming in the
/// deleted ones are stopped first).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn delete_project(
    state: State<'_, AppState>,
    id: i64,
    chats: ProjectChats,
) -> Result<DeletedProject, IpcError> {
    if chats == ProjectChats::Delete {
        for conversation in state.chat().streaming() {
            let c = state.store().get_conversation(conversation).await?;
            if c.project_id == Some(ProjectId(id)) {
                state.chat().stop(conversation);
            }
        }
    }
    Ok(state.store().delete_project(ProjectId(id), chats).await?)
}

/// Moves a chat into a project, or out of every project with `project: null`.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn move_to_project(
    state: State<'_, AppState>,
    id: i64,
    project: Option<i64>,
) -> Result<Conversation, IpcError> {
    Ok(state
        .store()
        .move_to_project(ConversationId(id), project.map(ProjectId))
        .await?)
}

/// Asks where to save (a native save dialog) and writes every chat of the project there as one
/// lossless, re-importable JSON archive. `None` when the user cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn export_project(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> Result<Option<Exported>, IpcError> {
    let project = state.store().get_project(ProjectId(id)).await?;
    let Some(path) = super::ask_where_to_save(
        &app,
        "Export project",
        export::project_file_name(&project),
        ("Confab archive (JSON)", "json"),
    )
    .await?
    else {
        return Ok(None);
    };
    let stats = export::export_project_to(&state.store(), project.id, &path).await?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        messages: stats.messages,
    }))
}

/// A chat's system prompt, model, temperature and memory, each with where it comes from.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn get_option_sources(
    state: State<'_, AppState>,
    id: i64,
) -> Result<ResolvedOptions, IpcError> {
    Ok(inherit::options_of(&state.store(), ConversationId(id)).await?)
}
