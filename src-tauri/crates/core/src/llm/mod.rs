//! The OpenAI-compatible streaming client.
