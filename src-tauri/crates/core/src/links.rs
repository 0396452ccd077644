//! Which links from model output may leave the app (to the system browser or mail client).

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

#[cfg(test)]
mod tests {
    use super::is_openable;

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
