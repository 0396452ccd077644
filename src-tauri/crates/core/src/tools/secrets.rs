//! Header values for HTTP servers (tokens): secrets, kept in the OS keyring like API keys, never in
//! SQLite; for this session only where no keyring service runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::secrets::{BackendError, KeyStorage, OsKeyring, SecretBackend, SecretError};
use crate::store::ToolServerId;

/// The most a header value may hold.
const MAX_VALUE_BYTES: usize = 8192;

/// The header values of every HTTP server.
pub struct HeaderSecrets {
    backend: Box<dyn SecretBackend>,
    session: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for HeaderSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderSecrets").finish_non_exhaustive()
    }
}

impl Default for HeaderSecrets {
    fn default() -> Self {
        Self::new(Box::new(OsKeyring))
    }
}

fn account(server: ToolServerId, header: &str) -> String {
    format!("mcp-header:{server}:{}", header.to_ascii_lowercase())
}

impl HeaderSecrets {
    pub fn new(backend: Box<dyn SecretBackend>) -> Self {
        Self {
            backend,
            session: Mutex::new(HashMap::new()),
        }
    }

    fn session(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps the value of `header` for `server`: in the keyring, else for this session.
    pub fn set(
        &self,
        server: ToolServerId,
        header: &str,
        value: &str,
    ) -> Result<KeyStorage, SecretError> {
        if value.len() > MAX_VALUE_BYTES || value.chars().any(char::is_control) {
            return Err(SecretError::InvalidInput(format!(
                "the value of the header {header} is too long or has line breaks"
            )));
        }
        let account = account(server, header);
        match self.backend.set(&account, value) {
            Ok(()) => {
                self.session().remove(&account);
                Ok(KeyStorage::Keyring)
            }
            Err(BackendError::Unavailable(detail)) => {
                tracing::warn!(%detail, "no keyring service: keeping a header value for this session");
                self.session().insert(account, value.to_owned());
                Ok(KeyStorage::Session {
                    reason: "no keyring service (such as GNOME Keyring or KWallet) is running, so \
                             the header's value is kept only until Confab closes"
                        .into(),
                })
            }
            Err(BackendError::Failed(reason)) => Err(SecretError::Keyring(reason)),
        }
    }

    /// The values of `headers` for `server` that are kept.
    pub fn get_all(&self, server: ToolServerId, headers: &[String]) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for header in headers {
            let account = account(server, header);
            let value = self
                .session()
                .get(&account)
                .cloned()
                .or_else(|| self.backend.get(&account).ok().flatten());
            if let Some(value) = value {
                out.insert(header.clone(), value);
            }
        }
        out
    }

    /// Forgets the values of `headers` for `server`.
    pub fn clear(&self, server: ToolServerId, headers: &[String]) {
        for header in headers {
            let account = account(server, header);
            self.session().remove(&account);
            let _ = self.backend.delete(&account);
        }
    }
}
