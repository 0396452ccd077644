//! The core's integration tests, one binary with a module per topic: the store against real
//! SQLite files, the LLM client and discovery against a scripted server (the fault server of
//! `confab-test-support`), the chat service, memory, versions, settings, export and import, property
//! tests of the importers over random and mutated files, fetching remote images, and the statistics
//! kept with each reply.

mod attachments;
mod chat_service;
mod damage;
mod disk_full;
mod drafts;
mod export;
mod fuzz;
mod harness;
mod llm_client;
mod llm_discovery;
mod memory;
mod projects;
mod recall;
mod remote_images;
mod reply_stats;
mod search;
mod settings;
mod store_conversations;
mod store_fixtures;
mod store_messages;
mod store_recovery;
mod store_upgrade;
mod tool_turns;
mod tools;
mod versions;
