//! `confab-cli`: Confab in a terminal, on the desktop app's database.

/// `println!` that hands back the error instead of panicking: when the reader has gone away
/// (`confab-cli ls | head -1`) the command ends quietly (see `main`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

mod args;
mod chat;
mod context;
mod db;
mod docs;
mod projects;
mod search;
mod tools;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use args::{Cli, Command, Generate, ServerArgs};
use clap::Parser;
use confab_core::llm::LlmClient;
use confab_core::paths::{default_data_dir, DATABASE_FILE};
use confab_core::store::{InProject, ListConversations, Store};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let mut argv = std::env::args_os();
    if argv.nth(1).is_some_and(|first| first == "generate") {
        let generate = Generate::parse_from(std::env::args_os().skip(1));
        let written = docs::generate(generate.document, &mut std::io::stdout());
        return finish(written.map(|()| ExitCode::SUCCESS).map_err(Into::into));
    }
    let cli = Cli::parse();
    init_log();
    finish(run(cli).await)
}

/// The exit code of a command's result, with the error told on stderr.
fn finish(result: Result<ExitCode>) -> ExitCode {
    match result {
        Ok(code) => code,
        // The reader of our output went away: what it wanted, it has.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            // The sentence for the person; the whole chain, with every cause, for the log.
            tracing::error!(error = ?err, "confab-cli failed");
            eprintln!("confab-cli: {}", one_sentence(&err));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Completions { shell } = cli.command {
        docs::completions(shell, &mut std::io::stdout())?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Db { command } = cli.command {
        // Before opening the store: these work on a database that does not open.
        return db::run(&data_dir(cli.data_dir)?.join(DATABASE_FILE), command).await;
    }
    let dir = data_dir(cli.data_dir)?;
    let store = Store::open(&dir.join(DATABASE_FILE)).await?;
    let code = match cli.command {
        Command::Db { .. } | Command::Completions { .. } => unreachable!("handled above"),
        Command::Index { server } => {
            let client = client(&store, &server).await?;
            chat::index(store.clone(), client).await?
        }
        Command::Search {
            query,
            chat,
            role,
            since,
            limit,
            json,
            meaning,
            server,
        } => {
            let search = search::Search {
                query,
                chat,
                role,
                since,
                limit,
                json,
                meaning,
            };
            let client = if meaning {
                Some(client(&store, &server).await?)
            } else {
                None
            };
            search::run(&store, client, search).await?;
            ExitCode::SUCCESS
        }
        Command::Ls {
            limit,
            all,
            json,
            project,
        } => {
            list(&store, limit, all, json, project.as_deref()).await?;
            ExitCode::SUCCESS
        }
        Command::Projects { json } => {
            projects::list(&store, json).await?;
            ExitCode::SUCCESS
        }
        Command::Tools { json, command } => tools::run(&store, &dir, json, command).await?,
        Command::Context {
            id,
            server,
            offline,
            json,
        } => {
            let client = if offline {
                None
            } else {
                Some(client(&store, &server).await?)
            };
            context::show(&store, client.as_ref(), id, json).await?;
            ExitCode::SUCCESS
        }
        Command::Export {
            id,
            format,
            all,
            redact,
            output,
        } => {
            transfer::export(&store, id, format, all, redact, output.as_deref()).await?;
            ExitCode::SUCCESS
        }
        Command::Import { file, dry_run } => {
            transfer::import(&store, &file, dry_run).await?;
            ExitCode::SUCCESS
        }
        Command::Models { server } => {
            let client = client(&store, &server).await?;
            models(&client).await?;
            ExitCode::SUCCESS
        }
        Command::Chat {
            server,
            model,
            conversation,
            project,
            message,
            system,
            temperature,
            memory,
            attach,
            vision,
            tools,
            allow,
            tool_timeout,
        } => {
            let client = client(&store, &server).await?;
            let tools = chat::ToolOptions {
                servers: tools,
                allow,
                timeout: tool_timeout,
                data_dir: dir.clone(),
            };
            let new = chat::NewChat {
                model,
                system,
                temperature,
                memory,
                project,
            };
            let files = chat::Files {
                paths: attach,
                vision,
            };
            chat::run(
                store.clone(),
                client,
                new,
                conversation,
                message,
                files,
                tools,
            )
            .await?
        }
    };
    store.close().await;
    Ok(code)
}

/// The error and its causes as one line, each cause once: many errors already quote their cause
/// in their own text (a store error quotes sqlx's, which quotes SQLite's), and printing the whole
/// chain repeated it up to four times.
fn one_sentence(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// A log on stderr only when `CONFAB_LOG` asks for one (e.g. `CONFAB_LOG=debug`), so a terminal
/// shows just the output and one sentence per error.
fn init_log() {
    if let Ok(filter) =
        tracing_subscriber::EnvFilter::try_from_env(confab_core::environment::LOG_ENV)
    {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn data_dir(data_dir: Option<PathBuf>) -> Result<PathBuf> {
    data_dir
        .or_else(default_data_dir)
        .context("cannot tell where Confab's data lives: set CONFAB_DATA_DIR or pass --data-dir")
}

/// The flag (or `CONFAB_ENDPOINT`), else the app's saved endpoint, else LM Studio's default;
/// with the flag's API key, else the one the app keeps in the keyring for that server.
async fn client(store: &Store, args: &ServerArgs) -> Result<LlmClient> {
    let url = confab_core::server::endpoint_url(store, args.endpoint.clone()).await?;
    let bare = confab_core::server::client_for(&url, None)?;
    let key = args
        .api_key
        .clone()
        .or_else(|| confab_core::secrets::ApiKeys::default().get(bare.endpoint().root()));
    Ok(confab_core::server::client_for(&url, key)?)
}

async fn models(client: &LlmClient) -> Result<()> {
    let models = client.list_models().await?;
    if models.is_empty() {
        outln!("{} offers no models.", client.endpoint().base_url())?;
    }
    for m in models {
        match m.context_length {
            Some(n) => outln!("{}\t{n} tokens", m.id)?,
            None => outln!("{}", m.id)?,
        }
    }
    Ok(())
}

async fn list(
    store: &Store,
    limit: u32,
    all: bool,
    json: bool,
    project: Option<&str>,
) -> Result<()> {
    let in_project = match project {
        Some(name) => InProject::Is(store.project_named(name).await?.id),
        None => InProject::Any,
    };
    let page = store
        .list_conversations(ListConversations {
            limit,
            include_archived: all,
            project: in_project,
            ..Default::default()
        })
        .await?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&page.items)?)?;
        return Ok(());
    }
    if page.items.is_empty() {
        match project {
            Some(name) => outln!(
                "No conversations in “{name}” yet. Start one with `confab-cli chat --project \"{name}\"`."
            )?,
            None => outln!("No conversations yet. Start one with `confab-cli chat`.")?,
        }
        return Ok(());
    }
    for c in &page.items {
        let flags = match (c.pinned, c.archived) {
            (true, _) => "pinned",
            (_, true) => "archived",
            _ => "",
        };
        outln!(
            "{:>6}  {}  {:<8}  {}",
            c.id,
            c.updated_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M"),
            flags,
            c.title
        )?;
    }
    if page.next.is_some() {
        outln!("… more: use -n to show more than {limit}")?;
    }
    Ok(())
}
