//! `confab-cli`: Confab in a terminal, on the desktop app's database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use confab_core::paths::{default_data_dir, DATABASE_FILE};
use confab_core::store::{ListConversations, Store};

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

#[derive(Subcommand)]
enum Command {
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
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("confab-cli: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let store = open_store(cli.data_dir).await?;
    match cli.command {
        Command::Ls { limit, all, json } => list(&store, limit, all, json).await?,
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn open_store(data_dir: Option<PathBuf>) -> Result<Store> {
    let dir = data_dir
        .or_else(default_data_dir)
        .context("cannot tell where Confab's data lives: set CONFAB_DATA_DIR or pass --data-dir")?;
    let store = Store::open(&dir.join(DATABASE_FILE)).await?;
    Ok(store)
}

async fn list(store: &Store, limit: u32, all: bool, json: bool) -> Result<()> {
    let page = store
        .list_conversations(ListConversations {
            limit,
            include_archived: all,
            ..Default::default()
        })
        .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&page.items)?);
        return Ok(());
    }
    if page.items.is_empty() {
        println!("No conversations yet.");
        return Ok(());
    }
    for c in &page.items {
        let flags = match (c.pinned, c.archived) {
            (true, _) => "pinned",
            (_, true) => "archived",
            _ => "",
        };
        println!(
            "{:>6}  {}  {:<8}  {}",
            c.id,
            c.updated_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M"),
            flags,
            c.title
        );
    }
    if page.next.is_some() {
        println!("… more: use -n to show more than {limit}");
    }
    Ok(())
}
