//! Every command and flag of `confab-cli`, with its help text: the one source of `--help`, of
//! `docs/cli.md` and the man pages (`docs.rs`) and of the shell completions (`completions`).
//! A doc comment here is what a person reads in all of them, so it is written for them.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "confab-cli",
    version,
    about = "Chat with local language models from a terminal",
    long_about = "Chat with local language models from a terminal, on the same chats as the \
                  Confab desktop app. confab-cli talks to any OpenAI-compatible server \
                  (llama.cpp's llama-server, LM Studio, Ollama, vLLM, LiteLLM, Jan) and keeps \
                  every conversation in the app's SQLite database, so a chat started here \
                  continues in the window and the other way round.\n\n\
                  Output meant for people goes to standard output; with --json, JSON does. An \
                  error is one sentence on standard error, and the exit status is then \
                  non-zero (see each command for its own)."
)]
pub struct Cli {
    /// The data directory (default: the desktop app's; CONFAB_DATA_DIR overrides it too).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Clone)]
pub struct ServerArgs {
    /// The OpenAI-compatible server, e.g. http://localhost:8080 (default: the app's setting,
    /// else http://localhost:1234).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// API key, if the server wants one (default: the one the app keeps in the OS keyring for
    /// this server).
    #[arg(
        long,
        value_name = "KEY",
        env = "CONFAB_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// The file to read.
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
        command: DbCommand,
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
        command: Option<ToolsCommand>,
    },
    /// Print the shell's completion script for confab-cli.
    ///
    /// The .deb and .rpm packages install them for bash, zsh and fish. By hand: `confab-cli completions bash > ~/.local/share/bash-completion/completions/confab-cli`,
    /// `confab-cli completions zsh > ~/.zfunc/_confab-cli` (with ~/.zfunc on $fpath), or
    /// `confab-cli completions fish > ~/.config/fish/completions/confab-cli.fish`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `confab-cli generate DOCUMENT`: writes one of the documents generated from these definitions
/// to standard output, for the packages and `make cli-docs`. Not a command a person uses, so it
/// is parsed on its own, outside [`Cli`], and appears in no help, page or completion.
#[derive(Parser)]
#[command(name = "confab-cli generate")]
pub struct Generate {
    /// What to write.
    pub document: Document,
}

/// What `confab-cli generate` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Document {
    /// The man page confab-cli(1), in roff.
    Man,
    /// The desktop app's man page confab(1), in roff.
    AppMan,
    /// The command-line reference, docs/cli.md.
    Markdown,
}

/// Reads `-f`/`--format`: an export format by its name or extension.
pub fn parse_format(name: &str) -> Result<confab_core::export::Format, String> {
    confab_core::export::Format::named(name).map_err(|e| e.to_string())
}

#[derive(Subcommand)]
pub enum DbCommand {
    /// Check the database with SQLite's quick check (exit status 1 when it finds a problem).
    Check {
        /// SQLite's full integrity check: also every index against its table (slower).
        #[arg(long)]
        full: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a checked copy of the database (safe while Confab runs).
    Backup {
        /// The file to write (default: a new file in the snapshots folder, listed by
        /// `db snapshots` and never deleted by Confab).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List the snapshots and backups, newest first.
    Snapshots {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Make a snapshot the database; the current file is kept in the snapshots folder first.
    Restore {
        /// A file name from `db snapshots`, or a path.
        snapshot: String,
    },
    /// Save every chat that can still be read from a damaged database as a Confab backup
    /// (import it with `confab-cli import`).
    Salvage {
        /// The file to write.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum ToolsCommand {
    /// Add a server you trust: approved by this act, then started once to pin its tools. A stdio
    /// server is a command after `--` (run without a shell, found on PATH); an HTTP server is
    /// `--url`.
    Add {
        /// The server's name (what `server__tool` names start with).
        name: String,
        /// A streamable-HTTP server's URL.
        #[arg(long, value_name = "URL", conflicts_with_all = ["command", "env", "cwd"])]
        url: Option<String>,
        /// A header sent to an HTTP server, e.g. 'Authorization: Bearer …' (repeat for several);
        /// its value is kept in the OS keyring.
        #[arg(long = "header", value_name = "'NAME: VALUE'", requires = "url")]
        headers: Vec<String>,
        /// An environment variable for a stdio server (repeat for several). It gets these, PATH,
        /// HOME and the locale, nothing else of yours.
        #[arg(long = "env", value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// The stdio server's working folder (default: your home folder).
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
        /// The command and its arguments, after `--`.
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Import servers from an mcpServers JSON file (Claude Desktop, Cursor, LM Studio): each new
    /// or changed server waits for approval and is not started.
    Import {
        /// The JSON file: `{"mcpServers": {NAME: {...}}}`.
        file: PathBuf,
    },
    /// Show a server's exact command line (or URL), its environment's names and its changed
    /// tools, and ask whether to approve them.
    Approve {
        /// The server.
        name: String,
        /// Approve without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
    /// Turn a server off: it is stopped and never started until turned on.
    Off {
        /// The server.
        name: String,
    },
    /// Turn a server on again (it needs approval again if its definition changed).
    On {
        /// The server.
        name: String,
    },
    /// Remove a server, its pinned tools, its allowances and its header values.
    Rm {
        /// The server.
        name: String,
    },
    /// Run one tool by hand and print its result (no model involved).
    Call {
        /// The server.
        name: String,
        /// The tool.
        tool: String,
        /// The arguments as a JSON object (default: {}).
        json: Option<String>,
    },
}
