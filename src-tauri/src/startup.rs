//! Start-up off the main thread: the window begins loading its page while the database opens (and
//! migrates and is checked), the settings and the keyring are read. Until then no command runs:
//! each call that arrives early waits for the outcome, then runs exactly as it would have (a
//! synchronous command on the main thread), or — when start-up failed, or damage met later made
//! Confab stop using the database ([`failed`]) — is refused with the reason. The page then shows
//! the recovery screen, whose commands (`commands::recovery`) need no open database and always
//! run; one of them starts again ([`retry`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use confab_core::error::ErrorCode;
use tauri::ipc::Invoke;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::{watch, Mutex};

use crate::commands::recovery;
use crate::error::IpcError;

/// How start-up ended: `None` while it runs.
type Outcome = Option<Result<(), IpcError>>;

/// What start-up does: open everything and manage the state the commands need.
pub type Open<R> =
    fn(AppHandle<R>) -> Pin<Box<dyn Future<Output = Result<(), IpcError>> + Send + 'static>>;

/// Start-up's progress, where every command can see it.
struct Ready<R: Runtime> {
    outcome: watch::Sender<Outcome>,
    open: Open<R>,
    /// One attempt at a time.
    attempt: Mutex<()>,
}

/// Runs `open` beside the window; commands wait for it.
pub fn begin<R: Runtime>(app: &mut tauri::App<R>, open: Open<R>) {
    let (outcome, _) = watch::channel(None);
    app.manage(Ready {
        outcome,
        open,
        attempt: Mutex::new(()),
    });
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        let ready = handle.state::<Ready<R>>();
        let _one = ready.attempt.lock().await;
        let _ = attempt(&handle, &ready).await;
    });
}

async fn attempt<R: Runtime>(app: &AppHandle<R>, ready: &Ready<R>) -> Result<(), IpcError> {
    ready.outcome.send_replace(None);
    let outcome = (ready.open)(app.clone()).await;
    if let Err(err) = &outcome {
        tracing::error!(code = %err.code, message = %err.message, "Confab could not start");
    }
    ready.outcome.send_replace(Some(outcome.clone()));
    outcome
}

/// Runs `then` once start-up has succeeded (at once if it has); never if it fails.
pub fn when_ready<R: Runtime>(
    app: &AppHandle<R>,
    then: impl FnOnce(&AppHandle<R>) + Send + 'static,
) {
    let Some(ready) = app.try_state::<Ready<R>>() else {
        return;
    };
    let mut outcome = ready.outcome.subscribe();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let started = matches!(
            outcome
                .wait_for(|o| matches!(o, Some(Ok(()))))
                .await
                .as_deref(),
            Ok(Some(Ok(())))
        );
        if started {
            then(&app);
        }
    });
}

/// Confab can no longer go on with the database it opened (damage met mid-session): every
/// command but the recovery screen's is refused with `err` from now on, as after a failed start,
/// until a start again succeeds ([`retry`]).
pub fn failed<R: Runtime>(app: &AppHandle<R>, err: IpcError) {
    tracing::error!(code = %err.code, message = %err.message, "Confab stopped using the database");
    app.state::<Ready<R>>().outcome.send_replace(Some(Err(err)));
}

/// Starts again after a failed start (a restored snapshot, a freed lock): the new outcome. After
/// a successful start there is nothing to do.
pub async fn retry<R: Runtime>(app: &AppHandle<R>) -> Result<(), IpcError> {
    let ready = app.state::<Ready<R>>();
    let _one = ready.attempt.lock().await;
    if matches!(*ready.outcome.borrow(), Some(Ok(()))) {
        return Ok(());
    }
    attempt(app, &ready).await
}

/// Wraps the app's command handler so that no command runs before the state it needs is managed.
pub fn until_ready<R: Runtime>(
    handler: impl Fn(Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    let handler = Arc::new(handler);
    move |invoke: Invoke<R>| {
        if recovery::NAMES.contains(&invoke.message.command()) {
            return handler(invoke);
        }
        let Some(ready) = invoke.message.webview_ref().try_state::<Ready<R>>() else {
            return handler(invoke);
        };
        if matches!(*ready.outcome.borrow(), Some(Ok(()))) {
            return handler(invoke);
        }
        let mut outcome = ready.outcome.subscribe();
        let handler = handler.clone();
        tauri::async_runtime::spawn(async move {
            let outcome = match outcome.wait_for(Option::is_some).await {
                Ok(outcome) => outcome.clone(),
                Err(_) => None,
            };
            match outcome {
                Some(Ok(())) => {
                    let app = invoke.message.webview_ref().app_handle().clone();
                    let resolver = invoke.resolver.clone();
                    let command = invoke.message.command().to_owned();
                    // Where the command would have run had it come later: the main thread.
                    let ran = app.run_on_main_thread(move || {
                        if !handler(invoke) {
                            resolver.reject(format!("Command {command} not found"));
                        }
                    });
                    if let Err(err) = ran {
                        tracing::error!(%err, "could not run a command that waited for start-up");
                    }
                }
                Some(Err(err)) => invoke.resolver.reject(err),
                None => invoke.resolver.reject(IpcError::new(
                    ErrorCode::Internal,
                    "Confab stopped before it had started",
                )),
            }
        });
        true
    }
}
