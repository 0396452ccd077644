//! What each answer teaches about a model, kept in its profile: the real context size a
//! "context exceeded" answer reveals, and the token estimate's calibration from the prompt tokens
//! the server counted.

use super::{tokens, ContextReport};
use crate::store::{ModelProfile, Store, StoreError};

/// Learns from a "context exceeded" answer: the server's real `n_ctx` (or, when it does not say,
/// three quarters of what was assumed) caps the context length of this model from now on.
pub async fn learn_overflow(
    store: &Store,
    report: &ContextReport,
    n_ctx: Option<u64>,
    n_prompt_tokens: Option<u64>,
) -> Result<(), StoreError> {
    let mut profile = store.model_profile(&report.tokenizer).await?;
    let learned = n_ctx
        .filter(|n| *n > 0 && *n < report.context_length)
        .unwrap_or(report.context_length * 3 / 4)
        .max(1);
    profile.learned_n_ctx = Some(profile.learned_n_ctx.map_or(learned, |l| l.min(learned)));
    store.save_model_profile(&profile).await?;
    if let Some(actual) = n_prompt_tokens {
        calibrate(store, report, actual).await?;
    }
    Ok(())
}

/// Calibrates the model's estimate from the prompt tokens the server counted for a request built
/// with `report`, and records how far off the estimate was.
pub async fn calibrate(
    store: &Store,
    report: &ContextReport,
    actual_prompt_tokens: u64,
) -> Result<ModelProfile, StoreError> {
    let mut profile = store.model_profile(&report.tokenizer).await?;
    tokens::update_calibration(&mut profile, report, actual_prompt_tokens);
    store.save_model_profile(&profile).await
}
