//! The end-to-end tests, one binary with a module per suite: the real app driven through
//! WebDriver under Xvfb (with replies from llama.cpp's real server or from the scripted fault
//! server of `confab-test-support`), and the core and the CLI against llama.cpp's real server.
//!
//! The suites share the display, the clipboard and the CPU, so they never run side by side: the
//! harness gives each test its turn (see `confab_tests::serial`), whatever `--test-threads` says.

mod accessibility;
mod attachments;
mod chat;
mod code_blocks;
mod desktop;
mod hostile;
mod llama_cli;
mod llama_client;
mod llama_gateway;
mod llama_memory;
mod llama_recall;
mod llama_tools;
mod llama_versions;
mod long_chat;
mod math;
mod memory_panel;
mod native;
mod projects;
mod reasoning;
mod recall;
mod recovery;
mod reply_stats;
mod screenshots;
mod search;
mod settings;
mod sidebar;
mod smoke;
mod tools;
mod transfer;
mod versions;
