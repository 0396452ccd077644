//! API keys: kept in the OS keyring (Secret Service on Linux, Keychain, Credential Manager),
//! never in SQLite. Where no keyring service runs, a key is kept in memory for this session only,
//! and the caller is told so.

use std::collections::HashMap;
use std::sync::Mutex;
use ts_rs::TS;

use crate::error::{Coded, ErrorCode};

/// The keyring "service" Confab's entries are filed under; the user name is the endpoint's URL.
pub const KEYRING_SERVICE: &str = "app.confab.desktop";
/// Overrides every saved key (for scripts and CI).
pub const API_KEY_ENV: &str = "CONFAB_API_KEY";
/// The longest key accepted: real keys are a few hundred bytes at most.
const MAX_KEY_BYTES: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("the keyring refused the key: {0}")]
    Keyring(String),
}

impl Coded for SecretError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::Keyring(_) => ErrorCode::Keyring,
        }
    }
}

/// Where a key was kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyStorage {
    /// In the OS keyring: it survives restarts.
    Keyring,
    /// In memory until the app closes, because no keyring service answered (`reason` says why).
    Session { reason: String },
}

/// Why a backend could not be used at all (as opposed to refusing one key).
#[derive(Debug)]
pub enum BackendError {
    /// No keyring service is running or reachable: fall back to the session.
    Unavailable(String),
    /// The service answered and refused.
    Failed(String),
}

/// A store for secrets keyed by account (the endpoint URL). The OS keyring in the app; fakes in
/// tests.
pub trait SecretBackend: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<String>, BackendError>;
    fn set(&self, account: &str, secret: &str) -> Result<(), BackendError>;
    fn delete(&self, account: &str) -> Result<(), BackendError>;
}

/// The OS keyring through the `keyring` crate.
#[derive(Debug, Default)]
pub struct OsKeyring;

impl OsKeyring {
    fn entry(account: &str) -> Result<keyring::Entry, BackendError> {
        keyring::Entry::new(KEYRING_SERVICE, account).map_err(backend_error)
    }
}

impl SecretBackend for OsKeyring {
    fn get(&self, account: &str) -> Result<Option<String>, BackendError> {
        match Self::entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(backend_error(e)),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), BackendError> {
        Self::entry(account)?
            .set_password(secret)
            .map_err(backend_error)
    }

    fn delete(&self, account: &str) -> Result<(), BackendError> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(backend_error(e)),
        }
    }
}

fn backend_error(err: keyring::Error) -> BackendError {
    match err {
        keyring::Error::NoStorageAccess(e) | keyring::Error::PlatformFailure(e) => {
            BackendError::Unavailable(e.to_string())
        }
        other => BackendError::Failed(other.to_string()),
    }
}

/// The app's API keys: the keyring first, the session as the fallback.
pub struct ApiKeys {
    backend: Box<dyn SecretBackend>,
    session: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a key.
        f.debug_struct("ApiKeys").finish_non_exhaustive()
    }
}

impl Default for ApiKeys {
    fn default() -> Self {
        Self::new(Box::new(OsKeyring))
    }
}

impl ApiKeys {
    pub fn new(backend: Box<dyn SecretBackend>) -> Self {
        Self {
            backend,
            session: Mutex::new(HashMap::new()),
        }
    }

    /// The key for the endpoint at `root`: `CONFAB_API_KEY` if set, else the session's, else the
    /// keyring's. A keyring that cannot be reached reads as no key.
    pub fn get(&self, root: &str) -> Option<String> {
        if let Some(key) = std::env::var(API_KEY_ENV)
            .ok()
            .filter(|k| !k.trim().is_empty())
        {
            return Some(key);
        }
        if let Some(key) = self.session_map().get(root) {
            return Some(key.clone());
        }
        match self.backend.get(root) {
            Ok(key) => key,
            Err(BackendError::Unavailable(reason) | BackendError::Failed(reason)) => {
                tracing::debug!(%reason, "no API key from the keyring");
                None
            }
        }
    }

    /// Keeps `key` for the endpoint at `root`: in the keyring, or for this session when no keyring
    /// service is available. An empty key removes it.
    pub fn set(&self, root: &str, key: &str) -> Result<KeyStorage, SecretError> {
        let key = key.trim();
        if key.is_empty() {
            self.clear(root)?;
            return Ok(KeyStorage::Keyring);
        }
        if key.len() > MAX_KEY_BYTES || key.chars().any(char::is_control) {
            return Err(SecretError::InvalidInput(
                "that does not look like an API key (too long, or it has line breaks) — paste just the key"
                    .into(),
            ));
        }
        match self.backend.set(root, key) {
            Ok(()) => {
                self.session_map().remove(root);
                Ok(KeyStorage::Keyring)
            }
            Err(BackendError::Unavailable(detail)) => {
                tracing::warn!(%detail, "no keyring service: keeping the API key for this session");
                self.session_map().insert(root.to_owned(), key.to_owned());
                Ok(KeyStorage::Session {
                    reason: "no keyring service (such as GNOME Keyring or KWallet) is running, so \
                             the key is kept only until Confab closes"
                        .into(),
                })
            }
            Err(BackendError::Failed(reason)) => Err(SecretError::Keyring(reason)),
        }
    }

    /// Forgets the key for `root` everywhere it was kept.
    pub fn clear(&self, root: &str) -> Result<(), SecretError> {
        self.session_map().remove(root);
        match self.backend.delete(root) {
            Ok(()) | Err(BackendError::Unavailable(_)) => Ok(()),
            Err(BackendError::Failed(reason)) => Err(SecretError::Keyring(reason)),
        }
    }

    /// Whether a key is kept for `root`, and where.
    pub fn storage(&self, root: &str) -> Option<KeyStorage> {
        if self.session_map().contains_key(root) {
            return Some(KeyStorage::Session {
                reason:
                    "no keyring service is running, so the key is kept only until Confab closes"
                        .into(),
            });
        }
        matches!(self.backend.get(root), Ok(Some(_))).then_some(KeyStorage::Keyring)
    }

    fn session_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyring that works, in memory.
    #[derive(Default)]
    struct FakeKeyring(Mutex<HashMap<String, String>>);

    impl SecretBackend for FakeKeyring {
        fn get(&self, account: &str) -> Result<Option<String>, BackendError> {
            Ok(self.0.lock().unwrap().get(account).cloned())
        }
        fn set(&self, account: &str, secret: &str) -> Result<(), BackendError> {
            self.0.lock().unwrap().insert(account.into(), secret.into());
            Ok(())
        }
        fn delete(&self, account: &str) -> Result<(), BackendError> {
            self.0.lock().unwrap().remove(account);
            Ok(())
        }
    }

    /// A desktop without a Secret Service.
    struct NoService;

    impl SecretBackend for NoService {
        fn get(&self, _: &str) -> Result<Option<String>, BackendError> {
            Err(BackendError::Unavailable("no D-Bus session".into()))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), BackendError> {
            Err(BackendError::Unavailable("no D-Bus session".into()))
        }
        fn delete(&self, _: &str) -> Result<(), BackendError> {
            Err(BackendError::Unavailable("no D-Bus session".into()))
        }
    }

    const URL: &str = "http://localhost:1234";

    #[test]
    fn keys_go_to_the_keyring_per_endpoint() {
        let keys = ApiKeys::new(Box::new(FakeKeyring::default()));
        assert_eq!(keys.get(URL), None);
        assert_eq!(keys.set(URL, "  sk-123  ").unwrap(), KeyStorage::Keyring);
        assert_eq!(keys.get(URL).as_deref(), Some("sk-123"));
        assert_eq!(keys.get("http://other:8080"), None);
        assert_eq!(keys.storage(URL), Some(KeyStorage::Keyring));
        keys.set(URL, "").unwrap();
        assert_eq!(keys.get(URL), None);
        assert_eq!(keys.storage(URL), None);
    }

    #[test]
    fn without_a_keyring_service_a_key_lasts_the_session_and_says_so() {
        let keys = ApiKeys::new(Box::new(NoService));
        let storage = keys.set(URL, "sk-abc").unwrap();
        match storage {
            KeyStorage::Session { reason } => assert!(reason.contains("until Confab closes")),
            other => panic!("expected a session key, got {other:?}"),
        }
        assert_eq!(keys.get(URL).as_deref(), Some("sk-abc"));
        keys.clear(URL).unwrap();
        assert_eq!(keys.get(URL), None);
    }

    #[test]
    fn a_pasted_paragraph_is_not_a_key() {
        let keys = ApiKeys::new(Box::new(FakeKeyring::default()));
        assert!(matches!(
            keys.set(URL, "sk-1\nsk-2"),
            Err(SecretError::InvalidInput(_))
        ));
        assert!(keys.set(URL, &"k".repeat(5000)).is_err());
        assert_eq!(keys.get(URL), None);
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let keys = ApiKeys::new(Box::new(FakeKeyring::default()));
        keys.set(URL, "sk-secret").unwrap();
        assert!(!format!("{keys:?}").contains("sk-secret"));
    }
}
