//! The `settings` table: app-wide preferences as JSON values under string keys.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Result, Store, StoreError};

impl Store {
    /// The value stored under `key`, or `None` when unset.
    pub async fn get_setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(json,)| {
            serde_json::from_str(&json).map_err(|e| {
                StoreError::invalid(format!(
                    "the saved setting {key:?} has an unexpected shape: {e}"
                ))
            })
        })
        .transpose()
    }

    pub async fn set_setting<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        if key.trim().is_empty() {
            return Err(StoreError::invalid("a setting needs a name"));
        }
        let json = serde_json::to_string(value)
            .map_err(|e| StoreError::invalid(format!("setting {key:?} cannot be saved: {e}")))?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(json)
        .bind(self.now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
