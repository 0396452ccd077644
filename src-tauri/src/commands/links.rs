//! Links and images in replies: opening a link outside the app, fetching an image on request.

use confab_core::error::ErrorCode;
use confab_core::links::{self, RemoteImage};

use crate::error::IpcError;

/// Fetches an image from a reply that the user asked to see (never on its own: loading tells its
/// server you read the reply). Only raster images come back, as a `data:` URL.
#[tauri::command]
#[tracing::instrument(err)]
pub async fn load_image(url: String) -> Result<RemoteImage, IpcError> {
    Ok(links::fetch_image(&url).await?)
}

/// Opens a link from a message in the system browser (or mail client). Only http, https and
/// mailto links are opened; anything else is refused.
#[tauri::command]
#[tracing::instrument(skip(app), err)]
pub fn open_link(app: tauri::AppHandle, url: String) -> Result<(), IpcError> {
    use tauri_plugin_opener::OpenerExt;
    links::check_openable(&url)?;
    app.opener().open_url(url, None::<&str>).map_err(|e| {
        IpcError::new(
            ErrorCode::Internal,
            format!("the link could not be opened: {e}"),
        )
    })
}
