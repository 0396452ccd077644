//! Files attached in the composer: chosen in a native open dialog, dropped on the window, or
//! pasted. Files are read here, in Rust — the webview never names a path it could read (a drop
//! gives the paths to the window event, not the page) — checked by the core, and held under a
//! random token until the message is sent; the page only sees each file's name, kind, size and,
//! for an image, a `data:` URL to show.
//!
//! Test-only hooks, read from the environment (used by `tests/tests/e2e/attachments.rs`, and
//! named in the README's Attachments section):
//! `CONFAB_TEST_OPEN_FILES` (paths separated by the OS path-list separator) answers the open
//! dialog, which WebDriver cannot drive; `CONFAB_TEST_FILE_HOOKS=1` enables
//! [`test_drop_files`], which runs a drop through the same path as the window's drop event,
//! since WebDriver cannot drag files in from outside the window.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use confab_core::attachments::{self, AttachmentKind, Prepared, Upload};
use confab_core::chat::ChatEvent;
use confab_core::error::ErrorCode;
use confab_core::store::{ConversationId, Message};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{Manager, State};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::error::IpcError;
use crate::state::AppState;

/// The files read and checked but not sent yet, by token; and where drops are reported.
#[derive(Default)]
pub struct PendingFiles {
    files: Mutex<HashMap<String, Prepared>>,
    drops: Mutex<Option<Channel<DropEvent>>>,
}

/// A file waiting in the composer.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PendingAttachment {
    pub token: String,
    pub name: String,
    pub kind: AttachmentKind,
    pub size: i64,
    /// An image as a `data:` URL for its thumbnail; `None` for a text file.
    pub preview: Option<String>,
}

/// What files given at once came to: those attached, and why the others were not.
#[derive(Debug, Clone, Default, Serialize, TS)]
pub struct Attached {
    pub attached: Vec<PendingAttachment>,
    pub refused: Vec<IpcError>,
}

/// Files dragged over the window and dropped: the composer shows its drop state from these.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DropEvent {
    /// Files are over the window.
    Over,
    /// They left without being dropped.
    Left,
    Dropped {
        result: Attached,
    },
}

impl PendingFiles {
    /// Holds a checked file under a new token: what the page shows of it.
    pub(crate) fn hold(&self, prepared: Prepared) -> PendingAttachment {
        let token = format!("{:032x}", rand::random::<u128>());
        let pending = PendingAttachment {
            token: token.clone(),
            name: prepared.name.clone(),
            kind: prepared.kind,
            size: prepared.bytes.len() as i64,
            preview: (prepared.kind == AttachmentKind::Image).then(|| prepared.data_url()),
        };
        self.lock().insert(token, prepared);
        pending
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Prepared>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The files held under `tokens`, in their order.
    pub(crate) fn held(&self, tokens: &[String]) -> Result<Vec<Prepared>, IpcError> {
        let held = self.lock();
        tokens
            .iter()
            .map(|t| {
                held.get(t).cloned().ok_or_else(|| {
                    IpcError::new(
                        ErrorCode::NotFound,
                        "an attached file is no longer held — attach it again",
                    )
                })
            })
            .collect()
    }

    /// Lets go of every file held: the page that held their tokens is gone (see `list_drafts`).
    pub(crate) fn release_all(&self) {
        self.lock().clear();
    }

    /// Reads and checks the files at `paths` (off the async threads) and holds the good ones.
    async fn read(&self, paths: Vec<PathBuf>) -> Attached {
        let read = tauri::async_runtime::spawn_blocking(move || {
            paths
                .iter()
                .map(|p| Upload::read(p).and_then(attachments::prepare))
                .collect::<Vec<_>>()
        })
        .await;
        let mut out = Attached::default();
        match read {
            Ok(files) => {
                for file in files {
                    match file {
                        Ok(prepared) => out.attached.push(self.hold(prepared)),
                        Err(err) => out.refused.push(err.into()),
                    }
                }
            }
            Err(err) => out
                .refused
                .push(IpcError::new(ErrorCode::Internal, err.to_string())),
        }
        out
    }

    /// Reports a drag over the window to the page, and reads the files of a drop: what the
    /// window's drag-and-drop event calls (and, in tests, [`test_drop_files`]).
    pub fn on_drag(app: &tauri::AppHandle, event: &tauri::DragDropEvent) {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        let send = |event: DropEvent| {
            if let Some(channel) = state
                .files
                .drops
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
            {
                // A page that went away just stops listening.
                let _ = channel.send(event);
            }
        };
        match event {
            tauri::DragDropEvent::Enter { .. } | tauri::DragDropEvent::Over { .. } => {
                send(DropEvent::Over)
            }
            tauri::DragDropEvent::Leave => send(DropEvent::Left),
            tauri::DragDropEvent::Drop { paths, .. } => {
                let paths = paths.clone();
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    let state = app.state::<AppState>();
                    let result = state.files.read(paths).await;
                    let channel = state
                        .files
                        .drops
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .clone();
                    if let Some(channel) = channel {
                        let _ = channel.send(DropEvent::Dropped { result });
                    }
                });
            }
            _ => {}
        }
    }
}

/// Where the page hears of files dragged over the window and dropped.
#[tauri::command]
#[tracing::instrument(skip(state, on_event))]
pub fn watch_drops(state: State<'_, AppState>, on_event: Channel<DropEvent>) {
    *state.files.drops.lock().unwrap_or_else(|e| e.into_inner()) = Some(on_event);
}

/// Asks for files to attach (a native open dialog) and reads them. Empty when cancelled.
#[tauri::command]
#[tracing::instrument(skip(app, state), err)]
pub async fn choose_attachments(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Attached, IpcError> {
    let paths = match std::env::var_os("CONFAB_TEST_OPEN_FILES") {
        Some(list) => std::env::split_paths(&list).collect(),
        None => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            app.dialog()
                .file()
                .set_title("Attach files")
                .pick_files(move |paths| {
                    let _ = tx.send(paths);
                });
            let Some(paths) = rx.await.ok().flatten() else {
                return Ok(Attached::default());
            };
            paths
                .into_iter()
                .filter_map(|p| p.into_path().ok())
                .collect()
        }
    };
    Ok(state.files.read(paths).await)
}

/// A pasted image (or text file): its bytes are the request's raw body, its name the
/// `x-file-name` header. Checked like any other file.
#[tauri::command]
#[tracing::instrument(skip(state, request), err)]
pub fn attach_pasted(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<PendingAttachment, IpcError> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "a pasted file must come as raw bytes",
        ));
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .filter(|n| !n.is_empty())
        .unwrap_or("pasted image")
        .to_owned();
    let prepared = attachments::prepare(Upload {
        name,
        bytes: bytes.clone(),
    })?;
    Ok(state.files.hold(prepared))
}

/// Drops a file from the composer.
#[tauri::command]
#[tracing::instrument(skip(state))]
pub fn discard_attachment(state: State<'_, AppState>, token: String) {
    state.files.lock().remove(&token);
}

/// Sends the user's message with the files held under `tokens` and streams the reply (see
/// `send_message`). The files are let go once the message is saved; after a refusal (a model that
/// takes no images) they stay, so the user can remove one and send again.
#[tauri::command]
#[tracing::instrument(skip(state, text, on_event), err)]
pub async fn send_with_attachments(
    state: State<'_, AppState>,
    conversation_id: i64,
    text: String,
    tokens: Vec<String>,
    on_event: Channel<ChatEvent>,
) -> Result<Option<Message>, IpcError> {
    let files = state.files.held(&tokens)?;
    let turn = state
        .chat()
        .start_with_prepared(ConversationId(conversation_id), &text, files)
        .await?;
    {
        let mut held = state.files.lock();
        for token in &tokens {
            held.remove(token);
        }
    }
    let user_message = turn.user_message().cloned();
    super::chat::stream_in_background(turn, on_event);
    Ok(user_message)
}

/// A stored image as a `data:` URL, for its thumbnail in the chat.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn attachment_image(state: State<'_, AppState>, id: i64) -> Result<String, IpcError> {
    let (attachment, bytes) = state.store().attachment_bytes(id).await?;
    if attachment.kind != AttachmentKind::Image {
        return Err(IpcError::new(
            ErrorCode::NotAnImage,
            format!("{} is not an image", attachment.name),
        ));
    }
    Ok(attachments::data_url(&attachment.mime, &bytes))
}

/// A stored text file's text, for its chip in the chat (the message carries it too, fenced).
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn attachment_text(state: State<'_, AppState>, id: i64) -> Result<String, IpcError> {
    let (attachment, bytes) = state.store().attachment_bytes(id).await?;
    if attachment.kind != AttachmentKind::Text {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            format!("{} is not a text file", attachment.name),
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Records that the chat's model does (or does not) take images, for servers that do not say.
#[tauri::command]
#[tracing::instrument(skip(state), err)]
pub async fn set_model_vision(
    state: State<'_, AppState>,
    conversation_id: i64,
    takes_images: Option<bool>,
) -> Result<(), IpcError> {
    Ok(state
        .chat()
        .set_model_vision(ConversationId(conversation_id), takes_images)
        .await?)
}

/// Test-only: a drop of `paths`, through the same path as the window's drop event. Refused
/// unless `CONFAB_TEST_FILE_HOOKS=1`, so the page can never name a path in normal use.
#[tauri::command]
#[tracing::instrument(skip(app), err)]
pub fn test_drop_files(app: tauri::AppHandle, paths: Vec<PathBuf>) -> Result<(), IpcError> {
    if std::env::var("CONFAB_TEST_FILE_HOOKS").as_deref() != Ok("1") {
        return Err(IpcError::new(
            ErrorCode::InvalidInput,
            "test_drop_files is for tests only (CONFAB_TEST_FILE_HOOKS=1)",
        ));
    }
    PendingFiles::on_drag(
        &app,
        &tauri::DragDropEvent::Drop {
            paths,
            position: tauri::PhysicalPosition::new(0.0, 0.0),
        },
    );
    Ok(())
}
