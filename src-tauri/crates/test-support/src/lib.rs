//! What Confab's integration and end-to-end tests share: [`fault`], an OpenAI-compatible server
//! that plays scripted replies and faults; [`store`], a real database in a temp dir on a manual
//! clock, and databases left at an older schema; [`cli`], a runner for the `confab-cli` binary;
//! and [`mcp`], MCP servers (stdio and HTTP) with faults on demand.
//!
//! A dev-dependency only. It links the normal `confab-core` library, so the core's integration
//! tests may use it but its unit tests must not (there `confab_core` would be a second copy of the
//! crate under test).

pub mod cli;
pub mod fault;
pub mod mcp;
pub mod store;
pub mod text;
