//! Confab's desktop shell: adapts `confab-core` to Tauri. No business logic lives here.

#[cfg(test)]
mod bindings;
mod commands;
mod error;
mod sink;
mod startup;
mod state;

use std::path::PathBuf;

use std::sync::Arc;

use confab_core::chat::ChatService;
use confab_core::error::ErrorCode;
use confab_core::paths::{data_dir_override, DATABASE_FILE};
use confab_core::secrets::ApiKeys;
use confab_core::store::Store;
use confab_core::tools::{logs_dir, HeaderSecrets, ToolHub};
use tauri::Manager;

use crate::error::IpcError;
use crate::state::{AppState, DataPaths, Open};

/// Builds and runs the app until its last window closes.
pub fn run() {
    init_tracing();
    tauri::Builder::default()
        // First: a second launch hands over to the running window (raised and focused) and exits,
        // so two processes never write the same chats at once.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        // The window opens where, and as large as, it was left.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // Used from Rust only (the `open_link` command checks the scheme); the webview gets no
        // opener permission.
        .plugin(tauri_plugin_opener::init())
        // Native save and open dialogs, opened from Rust by the export and import commands; the
        // webview gets no dialog or file-system permission.
        .plugin(tauri_plugin_dialog::init())
        .on_window_event(|window, event| {
            // Dropped files are read here, in Rust: the page never gets their paths.
            if let tauri::WindowEvent::DragDrop(drag) = event {
                commands::attachments::PendingFiles::on_drag(window.app_handle(), drag);
            }
            if matches!(
                event,
                tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_)
            ) {
                save_window_state_soon(window.app_handle());
            }
        })
        // Work the first screen does not need waits until the page has loaded: on a two-core
        // machine, the recall indexer reading the chats (and asking the server for its model)
        // while the page loads would slow the window's start.
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                start_background_work(webview.app_handle());
            }
        })
        .setup(|app| {
            // The window is already loading its page: open everything beside it, off the main
            // thread. Commands wait for this (see `startup`); a failure is logged and given to
            // every command, so the page shows it.
            let database = data_dir(app.handle())?.join(DATABASE_FILE);
            app.manage(DataPaths { database });
            startup::begin(app, |handle| {
                Box::pin(async move { open_state(&handle).await })
            });
            Ok(())
        })
        .invoke_handler(startup::until_ready(tauri::generate_handler![
            commands::conversations::list_conversations,
            commands::conversations::create_conversation,
            commands::conversations::get_conversation,
            commands::conversations::rename_conversation,
            commands::conversations::set_pinned,
            commands::conversations::delete_conversation,
            commands::projects::list_projects,
            commands::projects::create_project,
            commands::projects::rename_project,
            commands::projects::set_project_defaults,
            commands::projects::set_project_collapsed,
            commands::projects::delete_project,
            commands::projects::move_to_project,
            commands::projects::export_project,
            commands::projects::get_option_sources,
            commands::messages::list_messages,
            commands::messages::set_message_pinned,
            commands::messages::select_version,
            commands::messages::list_versions,
            commands::chat::send_message,
            commands::chat::respond,
            commands::chat::regenerate,
            commands::chat::continue_reply,
            commands::chat::edit_and_resend,
            commands::chat::stop_reply,
            commands::chat::streaming_conversations,
            commands::chat::watch_updates,
            commands::attachments::watch_drops,
            commands::attachments::choose_attachments,
            commands::attachments::attach_pasted,
            commands::attachments::discard_attachment,
            commands::attachments::send_with_attachments,
            commands::attachments::attachment_image,
            commands::attachments::attachment_text,
            commands::drafts::list_drafts,
            commands::drafts::save_draft,
            commands::attachments::set_model_vision,
            commands::attachments::test_drop_files,
            commands::links::open_link,
            commands::links::load_image,
            commands::server::get_endpoint,
            commands::server::set_endpoint,
            commands::server::list_models,
            commands::server::find_servers,
            commands::server::set_api_key,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::get_chat_options,
            commands::settings::save_chat_options,
            commands::memory::get_context,
            commands::memory::edit_summary,
            commands::transfer::export_conversation,
            commands::transfer::choose_import,
            commands::transfer::confirm_import,
            commands::transfer::cancel_import,
            commands::search::search,
            commands::tools::list_tool_servers,
            commands::tools::add_tool_server,
            commands::tools::approve_tool_server,
            commands::tools::set_tool_server_on,
            commands::tools::remove_tool_server,
            commands::tools::revoke_tool_allowance,
            commands::tools::open_tool_log,
            commands::tools::decide_tool_call,
            commands::tools::get_chat_tool_servers,
            commands::tools::set_chat_tool_servers,
            commands::tools::get_project_tool_servers,
            commands::tools::set_project_tool_servers,
            commands::recovery::startup_status,
            commands::recovery::database_info,
            commands::recovery::list_snapshots,
            commands::recovery::restore_snapshot,
            commands::recovery::export_readable,
            commands::recovery::retry_start,
            commands::recovery::quit_app,
        ]))
        .build(tauri::generate_context!())
        .expect("Confab could not start its window")
        .run(|app, event| {
            // The tool servers end with Confab: no process outlives it.
            if let tauri::RunEvent::Exit = event {
                if let Some(state) = app.try_state::<AppState>() {
                    tauri::async_runtime::block_on(state.tools().shutdown());
                }
            }
        });
}

/// Saves the window's size and place shortly after it stops changing (the plugin alone saves only
/// on a clean exit, which a crash or a killed session never reaches).
fn save_window_state_soon(app: &tauri::AppHandle) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    static GENERATION: AtomicU64 = AtomicU64::new(0);
    let mine = GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        if GENERATION.load(Ordering::SeqCst) != mine {
            return;
        }
        // On the main thread, like the plugin's own save at exit: from another thread, reading
        // the window while holding the plugin's cache would deadlock with its event handler.
        let handle = app.clone();
        let _ = app.run_on_main_thread(move || {
            if let Err(err) = handle.save_window_state(StateFlags::all()) {
                tracing::warn!(%err, "could not save the window's size and place");
            }
        });
    });
}

/// Opens the database (upgraded and checked) and reads what every command needs, then hands it
/// to the app (in place of the one before, when starting again after the recovery screen). A
/// failure keeps its code, so the page knows which recovery to offer.
async fn open_state(app: &tauri::AppHandle) -> Result<(), IpcError> {
    let path = app.state::<DataPaths>().database.clone();
    tracing::info!(path = %path.display(), "opening the database");
    let store = open_store(path.clone()).await?;
    let url = confab_core::server::endpoint_url(&store, None).await?;
    tracing::info!(%url, "model server");
    let started = app.try_state::<AppState>().is_some();
    // The keyring answers over D-Bus, synchronously.
    let (keys, client) = tokio::task::spawn_blocking(move || {
        let keys = ApiKeys::default();
        let client = confab_core::server::client_for(&url, None)?;
        let key = keys.get(client.endpoint().root());
        let client = confab_core::server::client_for(&url, key)?;
        Ok::<_, confab_core::llm::LlmError>((keys, client))
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))??;
    let chat = Arc::new(ChatService::new(store.clone(), client));
    if started {
        // Starting again after the recovery screen: the page has long loaded, so the recall
        // indexer starts at once (the first start waits for the page: `start_background_work`).
        chat.start_indexing();
    }
    chat.stop_when_damaged();
    let data_dir = path.parent().map(PathBuf::from).unwrap_or_default();
    let tools = Arc::new(ToolHub::new(
        store.clone(),
        Arc::new(HeaderSecrets::default()),
        logs_dir(&data_dir),
    ));
    chat.set_tools(tools.clone());
    let open = Open {
        store: store.clone(),
        chat,
        tools,
    };
    if started {
        // The servers of the database before ended when it closed (see below).
        app.state::<AppState>().reopened(open);
    } else {
        app.manage(AppState::new(open, keys));
    }
    // Damage met by any query from now on: the commands are refused with it (so the page shows
    // the recovery screen) and the database is closed, so nothing more is written to it and a
    // snapshot can be restored in its place. Its tool servers end with it.
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let damage = store.damaged().await;
        startup::failed(&app, IpcError::from(damage));
        app.state::<AppState>().tools().shutdown().await;
        store.close().await;
        tracing::warn!("closed the damaged database");
    });
    Ok(())
}

/// Starts the recall indexer once the page has loaded and the state is open, whichever comes
/// last; only once, whatever reloads the page (the recovery screen does).
fn start_background_work(app: &tauri::AppHandle) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STARTED: AtomicBool = AtomicBool::new(false);
    startup::when_ready(app, |app| {
        if !STARTED.swap(true, Ordering::SeqCst) {
            app.state::<AppState>().chat().start_indexing();
        }
    });
}

/// `CONFAB_DATA_DIR` if set, else the OS app-data dir (`~/.local/share/app.confab.desktop` on Linux).
fn data_dir(app: &tauri::AppHandle) -> Result<PathBuf, Box<dyn std::error::Error>> {
    match data_dir_override() {
        Some(dir) => Ok(dir),
        None => Ok(app.path().app_data_dir()?),
    }
}

async fn open_store(path: PathBuf) -> Result<Store, confab_core::store::StoreError> {
    let store = Store::open_checked(&path).await?;
    // A reply that was streaming when the app last stopped can no longer finish: keep its text and
    // mark it, so the user sees it was cut short and can continue it.
    let interrupted = store.mark_streaming_interrupted().await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "marked replies left streaming by the last run as interrupted"
        );
    }
    Ok(store)
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env(confab_core::environment::LOG_ENV)
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // A second call (e.g. in tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
