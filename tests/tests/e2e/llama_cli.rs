//! `confab-cli chat` holds a streamed multi-turn conversation with SmolLM2 on llama.cpp's real
//! server, saved in the same SQLite file the app uses.

use confab_core::paths::DATABASE_FILE;
use confab_core::store::{ListConversations, MessageStatus, Role, Store};
use confab_test_support::cli::Cli;
use confab_tests::llama::LlamaServer;
use confab_tests::{cli_binary, DataDir, Result};

/// Runs `confab-cli chat args` on `data` (`CONFAB_CLI`, else the debug build): the exit code,
/// stdout and stderr.
fn chat(data: &DataDir, args: &[&str]) -> Result<(i32, String, String)> {
    let out = Cli::new(cli_binary()?, data.path()).run(&[&["chat"], args].concat())?;
    Ok((out.code, out.stdout, out.stderr))
}

#[tokio::test]
async fn a_multi_turn_conversation_with_smollm2_is_saved() -> Result<()> {
    let server = LlamaServer::start(2048, 1)?;
    let data = DataDir::new()?;
    let (code, stdout, stderr) = chat(
        &data,
        &[
            "--endpoint",
            &server.url,
            "--system",
            "You are a helpful assistant.",
            "--temperature",
            "0",
            "-m",
            "What is the capital of France?",
        ],
    )?;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Paris"), "{stdout}");

    let store = Store::open(&data.path().join(DATABASE_FILE)).await?;
    let id = store
        .list_conversations(ListConversations::default())
        .await?
        .items[0]
        .id;
    let (code, stdout, stderr) = chat(
        &data,
        &[
            "--endpoint",
            &server.url,
            "--conversation",
            &id.to_string(),
            "-m",
            "Repeat the name of that city.",
        ],
    )?;
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.trim().is_empty());

    let messages = store.tail_messages(id, 10).await?;
    let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
    assert_eq!(
        roles,
        [Role::User, Role::Assistant, Role::User, Role::Assistant]
    );
    assert!(messages.iter().all(|m| m.status == MessageStatus::Complete));
    let second = &messages[3];
    assert!(
        second.prompt_tokens.unwrap() > messages[1].prompt_tokens.unwrap(),
        "the second turn carried the first"
    );
    assert_eq!(
        second.content.trim(),
        stdout.trim(),
        "what was printed is what was saved"
    );
    assert_eq!(second.model.as_deref(), Some("smollm2"));
    Ok(())
}
