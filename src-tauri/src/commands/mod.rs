//! Tauri commands, one file per domain. Each takes the app state, makes one core call and maps
//! its error (see [`crate::error`]); the logic lives in `confab-core`.
//!
//! A command's name and argument names are the wire contract: the UI (`ui/src/ipc/index.ts`)
//! calls them by name, `build.rs` lists them for the capabilities, and `lib.rs` registers them.

pub mod attachments;
pub mod chat;
pub mod conversations;
pub mod drafts;
pub mod links;
pub mod memory;
pub mod messages;
pub mod projects;
pub mod recovery;
pub mod search;
pub mod server;
pub mod settings;
pub mod tools;
pub mod transfer;

/// The largest page a command hands out, whatever the UI asks for.
const MAX_PAGE: u32 = 500;

/// Asks where to save through the native save dialog (the webview never names a path), offering
/// `file_name` and files of one type. `None` when the user cancelled.
async fn ask_where_to_save(
    app: &tauri::AppHandle,
    title: &str,
    file_name: String,
    (label, extension): (&str, &str),
) -> Result<Option<std::path::PathBuf>, crate::error::IpcError> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter(label, &[extension])
        .save_file(move |path| {
            let _ = tx.send(path);
        });
    let Some(path) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    path.into_path().map(Some).map_err(|e| {
        crate::error::IpcError::new(
            confab_core::error::ErrorCode::InvalidInput,
            format!("cannot save there: {e}"),
        )
    })
}
