//! `confab-cli`: Confab in a terminal, on the desktop app's database.

/// `println!` that hands back the error instead of panicking: when the reader has gone away
/// (`confab-cli ls | head -1`) the command ends quietly (see `main`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

mod chat;
mod context;
mod db;
mod projects;
mod search;
mod tools;
mod transfer;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use confab_core::llm::LlmClient;
use confab_core::paths::{default_data_dir, DATABASE_FILE};
use confab_core::store::{InProject, ListConversations, Store};

#[derive(Parser)]
#[command(
    name = "confab-cli",
    version,
    about = "Chat with local language models from a terminal"
)]
struct Cli {
    /// The data directory (default: the desktop app's; CONFAB_DATA_DIR overrides it too).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct ServerArgs {
    /// The OpenAI-compatible server, e.g. http://localhost:8080 (default: the app's setting,
    /// else http://localhost:1234).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// API key, if the server wants one (default: the one the app keeps in the OS keyring for
    /// this server).
    #[arg(long, env = "CONFAB_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Chat: streams the reply as it comes. Ctrl+C stops a reply; Ctrl+D or /exit leaves.
    Chat {
        #[command(flatten)]
        server: ServerArgs,
        /// The model to ask (default: the conversation's, else the server's).
        #[arg(long)]
        model: Option<String>,
        /// Continue this conversation instead of starting a new one.
        #[arg(long, value_name = "ID")]
        conversation: Option<i64>,
        /// Start the new conversation in this project (created when there is none of that name,
        /// ignoring case); it inherits the project's system prompt, model, temperature and memory.
        #[arg(long, value_name = "NAME", conflicts_with = "conversation")]
        project: Option<String>,
        /// Send this one message, print only the reply, and exit (0 when the reply completed).
        #[arg(short = 'm', long = "message", value_name = "TEXT")]
        message: Option<String>,
        /// The system prompt of a new conversation.
        #[arg(long, value_name = "TEXT")]
        system: Option<String>,
        /// Sampling temperature for a new conversation (e.g. 0 for the most likely answer).
        #[arg(long)]
        temperature: Option<f32>,
        /// How a new conversation remembers: `summary` (a rolling summary and the newest
        /// messages, the default), `window` (the newest messages only), `full` (everything, until
        /// it no longer fits) or `recall` (summary and newest messages, plus the earlier turns
        /// most relevant to each new message, found by words and meaning).
        #[arg(long, value_name = "STRATEGY", value_parser = ["summary", "window", "full", "recall"])]
        memory: Option<String>,
        /// Attach a file to the message (repeat for several, at most 10). A text or code file
        /// (UTF-8, up to 512 KiB) goes into the message, fenced under its name; a PNG, JPEG, WebP
        /// or GIF image (up to 10 MiB, told by its bytes) is sent to models that take images, and
        /// refused before sending when the model does not. Without -m, the files go with the
        /// first message typed.
        #[arg(long, value_name = "FILE")]
        attach: Vec<std::path::PathBuf>,
        /// Tell Confab that the chat's model takes images, for servers that do not say (vLLM and
        /// others); remembered for that model on that server.
        #[arg(long)]
        vision: bool,
        /// Offer the model these tool servers' tools (see `confab-cli tools`); remembered for the
        /// chat. Each call asks at the terminal: y (once), a (in this chat), n (no).
        #[arg(long = "tools", value_name = "NAME[,NAME]", value_delimiter = ',')]
        tools: Option<Vec<String>>,
        /// Run this tool without asking (repeat for several). With no terminal, every call that
        /// --allow does not name is denied: a script never runs a tool it did not name.
        #[arg(long = "allow", value_name = "NAME/TOOL")]
        allow: Vec<String>,
        /// Seconds a tool call may go without progress before it is cancelled (default: each
        /// server's, 60).
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        tool_timeout: Option<u64>,
    },
    /// List the models the server offers.
    Models {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Show exactly what the next request of a conversation would carry: each part with its
    /// token count and why it is there, what is left out, and the budget.
    Context {
        /// The conversation (see `confab-cli ls`).
        id: i64,
        #[command(flatten)]
        server: ServerArgs,
        /// Do not ask the server (context length, tokenizer): use what is stored.
        #[arg(long)]
        offline: bool,
        /// Print the request and the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export a conversation (md, json, html or jsonl), or every conversation as a backup.
    Export {
        /// The conversation (see `confab-cli ls`); omit with --all.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// md (readable log), json (lossless, re-importable), html (standalone page) or jsonl
        /// (audit log, one line per message).
        #[arg(short, long, default_value = "md", value_parser = parse_format)]
        format: confab_core::export::Format,
        /// Every conversation, as one JSON backup (restore it with `confab-cli import`).
        #[arg(long, requires = "output")]
        all: bool,
        /// Audit log: replace e-mail addresses, phone numbers, IP addresses and API keys.
        #[arg(long)]
        redact: bool,
        /// The file to write (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import a Confab export or backup, or ChatGPT's conversations.json. All or nothing.
    Import {
        file: PathBuf,
        /// Show what the file holds without importing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Embed every message for recall (the app does this in the background): prints the
    /// progress, and fails when no embedding model can be used.
    Index {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Search every chat's messages by what was said, best match first.
    Search {
        /// Words to find ("quotes" for a phrase); the last word also matches as a prefix.
        query: String,
        /// Only this conversation (see `confab-cli ls`).
        #[arg(long, value_name = "ID")]
        chat: Option<i64>,
        /// Only messages of this role: user or assistant.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// Only messages written on or after this date (2026-11-27, or an RFC 3339 time).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// How many hits to show (1 to 100).
        #[arg(short = 'n', long, default_value_t = 20)]
        limit: u32,
        /// Print JSON: an array of {conversation_id, message_id, role, created_at, snippet, score,
        /// tool_output}.
        #[arg(long)]
        json: bool,
        /// Also find messages close in meaning, with recall's embedding model (asks the server).
        #[arg(long)]
        meaning: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Look after the database: check, backup, snapshots, restore, salvage.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// List saved conversations, most recently active first.
    Ls {
        /// How many to show.
        #[arg(short = 'n', long, default_value_t = 50)]
        limit: u32,
        /// Include archived conversations.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only the conversations in this project (its name, ignoring case).
        #[arg(long, value_name = "NAME")]
        project: Option<String>,
    },
    /// List projects, each with its chat count and the defaults its chats inherit.
    Projects {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Tools: MCP servers, their state (approved, needs_approval, off) and their tools. Nothing
    /// runs that you did not approve.
    Tools {
        /// Print JSON: an array of {name, transport, state, command, args, url, tools: [{name,
        /// description, warnings}]}.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<tools::ToolsCommand>,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_log();
    match run(cli).await {
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
    if let Command::Db { command } = cli.command {
        // Before opening the store: these work on a database that does not open.
        return db::run(&data_dir(cli.data_dir)?.join(DATABASE_FILE), command).await;
    }
    let dir = data_dir(cli.data_dir)?;
    let store = Store::open(&dir.join(DATABASE_FILE)).await?;
    let code = match cli.command {
        Command::Db { .. } => unreachable!("handled above"),
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
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("CONFAB_LOG") {
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

fn parse_format(name: &str) -> Result<confab_core::export::Format, String> {
    confab_core::export::Format::named(name).map_err(|e| e.to_string())
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
