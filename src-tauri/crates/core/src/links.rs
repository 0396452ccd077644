//! Which links from model output may leave the app (to the system browser or mail client), and
//! the one remote fetch the app makes for a reply: an image the user asked to see.
//!
//! Images in replies are never loaded by themselves (loading one tells its server that, and when,
//! you read the reply). On a click, the app fetches it here — not the webview, whose CSP allows no
//! remote loads — checks that the bytes really are a raster image, and hands the page a `data:`
//! URL.

use std::time::Duration;

use base64::Engine as _;
use futures_util::StreamExt as _;
use ts_rs::TS;

use crate::error::{Coded, ErrorCode};

/// Whether `url` is an absolute `http`, `https` or `mailto` URL: the only links Confab opens.
/// Everything else (`javascript:`, `file:`, `data:`, custom schemes, relative paths) is refused.
pub fn is_openable(url: &str) -> bool {
    match url::Url::parse(url.trim()) {
        Ok(u) => match u.scheme() {
            "http" | "https" => u.host_str().is_some_and(|h| !h.is_empty()),
            "mailto" => !u.path().is_empty(),
            _ => false,
        },
        Err(_) => false,
    }
}

/// A link Confab will not hand to the system.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("only web (http, https) and e-mail links can be opened")]
    NotOpenable,
}

impl Coded for LinkError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotOpenable => ErrorCode::InvalidInput,
        }
    }
}

/// [`is_openable`], as an error that says which links are.
pub fn check_openable(url: &str) -> Result<(), LinkError> {
    if is_openable(url) {
        Ok(())
    } else {
        Err(LinkError::NotOpenable)
    }
}

/// The largest image fetched.
pub const MAX_IMAGE_BYTES: usize = 10 << 20;

/// An image fetched for a reply, ready for an `<img src>`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, TS)]
pub struct RemoteImage {
    /// What the bytes are, from the bytes themselves (never from the server's word).
    pub mime: &'static str,
    pub bytes: usize,
    /// `data:{mime};base64,…`
    pub data_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("only http and https images can be loaded")]
    NotAllowed,
    #[error("the image could not be fetched: {0}")]
    Network(String),
    #[error("the image's server answered {status}")]
    Status { status: u16 },
    #[error("the image is larger than {} MB", MAX_IMAGE_BYTES >> 20)]
    TooLarge,
    #[error("that address did not give a PNG, JPEG, GIF, WebP or BMP image")]
    NotAnImage,
}

impl Coded for ImageError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotAllowed => ErrorCode::InvalidInput,
            Self::Network(_) => ErrorCode::ImageUnreachable,
            Self::Status { .. } => ErrorCode::ImageUnavailable,
            Self::TooLarge => ErrorCode::TooLarge,
            Self::NotAnImage => ErrorCode::NotAnImage,
        }
    }
}

/// Fetches the image at `url` (http or https only, redirects included), at most
/// [`MAX_IMAGE_BYTES`], within 30 seconds.
pub async fn fetch_image(url: &str) -> Result<RemoteImage, ImageError> {
    let url = url.trim();
    if !is_openable(url)
        || url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("mailto:"))
    {
        return Err(ImageError::NotAllowed);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= 5 {
                attempt.error("too many redirects")
            } else if matches!(attempt.url().scheme(), "http" | "https") {
                attempt.follow()
            } else {
                attempt.stop()
            }
        }))
        .user_agent(concat!("Confab/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ImageError::Network(e.to_string()))?;
    let response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "image/*")
        .send()
        .await
        .map_err(|e| ImageError::Network(e.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ImageError::Status {
            status: status.as_u16(),
        });
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_IMAGE_BYTES as u64)
    {
        return Err(ImageError::TooLarge);
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ImageError::Network(e.to_string()))?;
        if body.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(ImageError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let mime = image_type(&body).ok_or(ImageError::NotAnImage)?;
    Ok(RemoteImage {
        mime,
        bytes: body.len(),
        data_url: format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&body)
        ),
    })
}

/// The raster image type these bytes start with. SVG, HTML and anything else are refused.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"BM", "image/bmp"),
    ];
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.len() > magic.len() && bytes.starts_with(magic))
        .map(|(_, mime)| *mime)
}

#[cfg(test)]
mod tests {
    use super::{image_type, is_openable};

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(
            image_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            image_type(b"\xff\xd8\xff\xe0\0\x10JFIF"),
            Some("image/jpeg")
        );
        assert_eq!(image_type(b"GIF89a\x01\0\x01\0"), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        for bad in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"<!doctype html><script>alert(1)</script>",
            b"\x89PNG",
            b"",
            b"RIFF\0\0\0\0WAVEfmt ",
        ] {
            assert_eq!(image_type(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_web_and_mail_links_open() {
        for ok in [
            "https://example.com/a?b=c",
            "http://localhost:8080",
            "mailto:me@example.com",
        ] {
            assert!(is_openable(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "file:///etc/passwd",
            "data:text/html,<script>",
            "vscode://x",
            "/relative",
            "https://",
            "mailto:",
            "",
        ] {
            assert!(!is_openable(bad), "{bad}");
        }
    }
}
