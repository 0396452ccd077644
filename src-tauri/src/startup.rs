//! Start-up off the main thread: the window begins loading its page while the database opens (and
//! migrates), the settings and the keyring are read. Until then no command runs: each call that
//! arrives early waits for the outcome, then runs exactly as it would have (a synchronous command
//! on the main thread), or — when start-up failed — is refused with the reason, which the page
//! shows like any other error.

use std::sync::Arc;

use confab_core::error::ErrorCode;
use tauri::ipc::Invoke;
use tauri::{Manager, Runtime};
use tokio::sync::watch;

use crate::error::IpcError;

/// How start-up ended: `None` while it runs.
type Outcome = Option<Result<(), IpcError>>;

/// Start-up's progress, where every command can see it.
struct Ready(watch::Receiver<Outcome>);

/// Runs `open` (which manages the state commands need) beside the window; commands wait for it.
pub fn begin<R: Runtime, F>(app: &mut tauri::App<R>, open: F)
where
    F: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>> + Send + 'static,
{
    let (done, ready) = watch::channel(None);
    app.manage(Ready(ready));
    tauri::async_runtime::spawn(async move {
        let outcome = open.await.map_err(|err| {
            tracing::error!(%err, "Confab could not start");
            IpcError::new(ErrorCode::Storage, format!("Confab could not start: {err}"))
        });
        let _ = done.send(Some(outcome));
    });
}

/// Wraps the app's command handler so that no command runs before the state it needs is managed.
pub fn until_ready<R: Runtime>(
    handler: impl Fn(Invoke<R>) -> bool + Send + Sync + 'static,
) -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    let handler = Arc::new(handler);
    move |invoke: Invoke<R>| {
        let Some(ready) = invoke.message.webview_ref().try_state::<Ready>() else {
            return handler(invoke);
        };
        if matches!(*ready.0.borrow(), Some(Ok(()))) {
            return handler(invoke);
        }
        let mut ready = ready.0.clone();
        let handler = handler.clone();
        tauri::async_runtime::spawn(async move {
            let outcome = match ready.wait_for(Option::is_some).await {
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
