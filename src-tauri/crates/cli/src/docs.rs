//! The documents generated from `args.rs`: the command-line reference `docs/cli.md`, the man pages
//! confab-cli(1) and confab(1), and the shell completions. Each is rendered from clap's own
//! definitions, so none of them can say something `--help` does not; a test below fails when the
//! committed `docs/cli.md` is stale (`make cli-docs` writes it anew).
//!
//! The commands are first read into a [`CommandDoc`] tree (name, usage, help, arguments), which
//! the Markdown and roff renderers share.

use std::io::Write;

use clap::{Arg, CommandFactory};
use confab_core::environment::VARIABLES;
use roff::{bold, italic, roman, Roff};

use crate::args::{Cli, Document};

/// Writes `document` to `out`.
pub fn generate(document: Document, out: &mut dyn Write) -> std::io::Result<()> {
    let text = match document {
        Document::Man => man_page(),
        Document::AppMan => app_man_page(),
        Document::Markdown => markdown(),
    };
    out.write_all(text.as_bytes())
}

/// Writes the completion script for `shell` to `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    // Into memory first: clap_complete panics when a write fails (a closed pipe, say).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "confab-cli", &mut script);
    out.write_all(&script)
}

/// What `confab-cli` exits with, for both documents.
const EXIT_STATUS: [(&str, &str); 3] = [
    ("0", "The command did what it was asked."),
    (
        "1",
        "It failed; one sentence on standard error says why (a damaged database among the \
         causes: the sentence names the file and what to do). Also `db check` when SQLite finds \
         a problem, and `db salvage` when some chat could not be read.",
    ),
    (
        "2",
        "The command line was not understood (the usage is printed); `chat -m` sent its message \
         but the reply did not complete (stopped, interrupted or failed; the reason is on \
         standard error); or `index` found no embedding model to use.",
    ),
];

/// Where Confab keeps its data, for both documents.
const FILES: [(&str, &str); 3] = [
    (
        "~/.local/share/app.confab.desktop/confab.db",
        "Every chat, message, summary and setting (on Linux; $XDG_DATA_HOME is honoured, and \
         CONFAB_DATA_DIR or --data-dir choose another directory). The app and confab-cli share \
         it.",
    ),
    (
        "~/.local/share/app.confab.desktop/backups/",
        "The snapshots taken before each upgrade of the database, and the backups of \
         `confab-cli db backup`.",
    ),
    (
        "~/.config/app.confab.desktop/",
        "The app window's size and place. API keys are kept in the system keyring, never in a \
         file.",
    ),
];

/// One command, read from clap: its place, usage, help and arguments, and its own commands.
struct CommandDoc {
    /// The words that run it, e.g. `confab-cli db check`.
    path: String,
    usage: String,
    about: String,
    /// The whole help: the about's first paragraph and what follows it.
    long_about: String,
    args: Vec<ArgDoc>,
    subcommands: Vec<CommandDoc>,
}

/// One flag or positional argument.
struct ArgDoc {
    /// How it is written: `-n, --limit <N>`, or `<ID>` for a positional one.
    synopsis: String,
    help: String,
    /// Its default, its possible values and the variable that can set it.
    notes: Vec<String>,
}

fn command_doc(cmd: &clap::Command, path: String, root: bool) -> CommandDoc {
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.trim_start_matches("Usage: ").trim().to_owned();
    let about = cmd.get_about().map(|s| s.to_string()).unwrap_or_default();
    let long_about = cmd
        .get_long_about()
        .map(|s| s.to_string())
        .unwrap_or_else(|| about.clone());
    let args = cmd
        .get_arguments()
        // The global options are listed once, at the top; -h is on every command.
        .filter(|a| !a.is_hide_set() && (root || !a.is_global_set()))
        .filter(|a| root || !matches!(a.get_id().as_str(), "help" | "version"))
        .map(arg_doc)
        .collect();
    let subcommands = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| command_doc(c, format!("{path} {}", c.get_name()), false))
        .collect();
    CommandDoc {
        path,
        usage,
        about,
        long_about,
        args,
        subcommands,
    }
}

fn arg_doc(arg: &Arg) -> ArgDoc {
    let value = arg
        .get_value_names()
        .map(|names| {
            names
                .iter()
                .map(|n| format!("<{n}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| format!("<{}>", arg.get_id().as_str().to_uppercase()));
    let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
    let synopsis = if arg.is_positional() {
        if arg.is_required_set() {
            value
        } else {
            format!("[{}]", value.trim_start_matches('<').trim_end_matches('>'))
        }
    } else {
        let mut names = Vec::new();
        if let Some(short) = arg.get_short() {
            names.push(format!("-{short}"));
        }
        if let Some(long) = arg.get_long() {
            names.push(format!("--{long}"));
        }
        let mut synopsis = names.join(", ");
        if takes_value {
            synopsis.push(' ');
            synopsis.push_str(&value);
        }
        synopsis
    };
    let help = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut notes = Vec::new();
    if takes_value && !arg.get_default_values().is_empty() {
        let defaults: Vec<_> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        notes.push(format!("default: {}", defaults.join(", ")));
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    if takes_value && !values.is_empty() {
        notes.push(format!("one of: {}", values.join(", ")));
    }
    if let Some(env) = arg.get_env() {
        notes.push(format!("or set {}", env.to_string_lossy()));
    }
    ArgDoc {
        synopsis,
        help,
        notes,
    }
}

fn cli_doc() -> CommandDoc {
    let mut cmd = Cli::command();
    cmd.build();
    command_doc(&cmd, "confab-cli".to_owned(), true)
}

/// Every command under `doc`, depth first, `doc` itself not included.
fn descendants(doc: &CommandDoc) -> Vec<&CommandDoc> {
    let mut all = Vec::new();
    for sub in &doc.subcommands {
        all.push(sub);
        all.extend(descendants(sub));
    }
    all
}

/// GitHub's anchor for a heading that is the command's path in code.
fn anchor(path: &str) -> String {
    path.replace(' ', "-")
}

/// `docs/cli.md`.
pub fn markdown() -> String {
    let root = cli_doc();
    let mut md = String::new();
    md.push_str("# `confab-cli` reference\n\n");
    md.push_str(
        "<!-- Generated from src-tauri/crates/cli/src/args.rs by `make cli-docs`: edit that file, \
         not this one. A test fails while this page is stale. -->\n\n",
    );
    md.push_str(&root.long_about);
    md.push_str("\n\n");
    md.push_str(&format!("```\n{}\n```\n\n", root.usage));
    md.push_str(
        "This page is generated from the same definitions as `confab-cli --help`, the man page \
         (`man confab-cli`) and the shell completions (`confab-cli completions bash|zsh|fish`). \
         For how to use it day to day, see the guide's [In a terminal](guide/terminal.md) \
         page.\n\n",
    );
    md.push_str("## Commands\n\n| command | what it does |\n|---|---|\n");
    for cmd in descendants(&root) {
        md.push_str(&format!(
            "| [`{}`](#{}) | {} |\n",
            cmd.path,
            anchor(&cmd.path),
            cmd.about.replace('|', "\\|")
        ));
    }
    md.push_str("\n## Options for every command\n\n");
    markdown_args(&mut md, &root.args);
    for cmd in descendants(&root) {
        md.push_str(&format!("\n## `{}`\n\n", cmd.path));
        md.push_str(&cmd.long_about);
        md.push_str(&format!("\n\n```\n{}\n```\n", cmd.usage));
        if !cmd.args.is_empty() {
            md.push('\n');
            markdown_args(&mut md, &cmd.args);
        }
    }
    md.push_str("\n## Environment\n\n| variable | what it does |\n|---|---|\n");
    for variable in VARIABLES {
        md.push_str(&format!("| `{}` | {} |\n", variable.name, variable.meaning));
    }
    md.push_str("\n## Exit status\n\n| status | meaning |\n|---|---|\n");
    for (status, meaning) in EXIT_STATUS {
        md.push_str(&format!("| {status} | {meaning} |\n"));
    }
    md.push_str("\n## Files\n\n");
    for (file, meaning) in FILES {
        md.push_str(&format!("- `{file}`: {meaning}\n"));
    }
    md
}

fn markdown_args(md: &mut String, args: &[ArgDoc]) {
    for arg in args {
        md.push_str(&format!("- **`{}`**", arg.synopsis));
        let mut paragraphs = arg.help.split("\n\n");
        if let Some(first) = paragraphs.next() {
            md.push_str(&format!(": {}", first.trim()));
        }
        if !arg.notes.is_empty() {
            md.push_str(&format!(" *({})*", arg.notes.join("; ")));
        }
        md.push('\n');
        for paragraph in paragraphs {
            md.push_str(&format!("\n  {}\n", paragraph.trim().replace('\n', "\n  ")));
        }
    }
}

/// The page's title line: name, section, date, source and manual. The date is
/// `SOURCE_DATE_EPOCH`'s when it is set (the packages set it to the last commit's, so a rebuild
/// writes the same page), else today's.
fn title(name: &str, cmd: clap::Command) -> clap_mangen::Man {
    let date = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|secs| secs.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now);
    clap_mangen::Man::new(cmd)
        .title(name.to_uppercase())
        .section("1")
        .date(date.format("%Y-%m-%d").to_string())
        .source(format!("{name} {}", env!("CARGO_PKG_VERSION")))
        .manual("Confab")
}

/// The pieces of a page as one roff text. Each section clap_mangen and roff render on its own
/// starts with the same two lines that define the apostrophe string; the page needs them once.
fn join_roff(pieces: &[Vec<u8>]) -> String {
    let mut page = String::new();
    let mut defined = std::collections::HashSet::new();
    for piece in pieces {
        for line in String::from_utf8_lossy(piece).lines() {
            if line.contains(".ds Aq") && !defined.insert(line.to_owned()) {
                continue;
            }
            page.push_str(line);
            page.push('\n');
        }
    }
    page
}

/// The roff of one paragraph of help text, with `code` set in bold.
fn roff_text(text: &str) -> Vec<roff::Inline> {
    text.split('`')
        .enumerate()
        .map(|(i, piece)| {
            let piece = piece.replace('\n', " ");
            if i % 2 == 1 {
                bold(piece)
            } else {
                roman(piece)
            }
        })
        .collect()
}

fn roff_paragraphs(page: &mut Roff, text: &str) {
    for (i, paragraph) in text.split("\n\n").enumerate() {
        if i > 0 {
            page.control("PP", []);
        }
        page.text(roff_text(paragraph.trim()));
    }
}

fn roff_args(page: &mut Roff, args: &[ArgDoc]) {
    for arg in args {
        page.control("TP", []);
        page.text([bold(arg.synopsis.clone())]);
        roff_paragraphs(page, &arg.help);
        if !arg.notes.is_empty() {
            page.text([italic(format!(" ({})", arg.notes.join("; ")))]);
        }
    }
}

fn roff_environment(page: &mut Roff) {
    page.control("SH", ["ENVIRONMENT"]);
    for variable in VARIABLES {
        page.control("TP", []);
        page.text([bold(variable.name)]);
        page.text([roman(variable.meaning)]);
    }
}

fn roff_files(page: &mut Roff) {
    page.control("SH", ["FILES"]);
    for (file, meaning) in FILES {
        page.control("TP", []);
        page.text([italic(file)]);
        page.text(roff_text(meaning));
    }
}

/// confab-cli(1).
pub fn man_page() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let root = command_doc(&cmd, "confab-cli".to_owned(), true);
    let man = title("confab-cli", cmd);
    let mut head = Vec::new();
    // Writing into a Vec cannot fail.
    man.render_title(&mut head).expect("to memory");
    man.render_name_section(&mut head).expect("to memory");
    man.render_synopsis_section(&mut head).expect("to memory");
    let mut page = Roff::new();
    page.control("SH", ["DESCRIPTION"]);
    roff_paragraphs(&mut page, &root.long_about);
    page.control("SH", ["OPTIONS"]);
    page.text([roman("These options go with every command.")]);
    roff_args(&mut page, &root.args);
    page.control("SH", ["COMMANDS"]);
    for sub in descendants(&root) {
        // Control lines are not escaped for us: `\-` is a minus sign, which a reader can search
        // for and copy; a bare `-` may be set as a typographic hyphen.
        page.control("SS", [sub.path.replace('-', "\\-").as_str()]);
        page.text([bold(sub.usage.clone())]);
        page.control("PP", []);
        roff_paragraphs(&mut page, &sub.long_about);
        roff_args(&mut page, &sub.args);
    }
    roff_environment(&mut page);
    page.control("SH", ["EXIT STATUS"]);
    for (status, meaning) in EXIT_STATUS {
        page.control("TP", []);
        page.text([bold(status)]);
        page.text(roff_text(meaning));
    }
    roff_files(&mut page);
    page.control("SH", ["EXAMPLES"]);
    for (what, example) in [
        (
            "Ask one question of the server on port 8080 and print the reply:",
            "confab-cli chat --endpoint http://localhost:8080 -m 'What is the capital of France?'",
        ),
        (
            "Go on with conversation 3, interactively:",
            "confab-cli chat --conversation 3",
        ),
        (
            "Find every reply that mentions the staging server:",
            "confab-cli search 'staging server' --role assistant",
        ),
        (
            "Back up every chat, and bring them back on another machine:",
            "confab-cli export --all -o backup.json && confab-cli import backup.json",
        ),
    ] {
        page.control("PP", []);
        page.text([roman(what)]);
        page.control("PP", []);
        page.control("RS", ["4"]);
        page.text([bold(example)]);
        page.control("RE", []);
    }
    page.control("SH", ["SEE ALSO"]);
    page.text([bold("confab"), roman("(1)")]);
    join_roff(&[head, page.render().into_bytes()])
}

/// confab(1): the desktop app, whose only arguments are --help and --version.
pub fn app_man_page() -> String {
    let cmd = clap::Command::new("confab")
        .version(env!("CARGO_PKG_VERSION"))
        .about("a desktop chat app for the language models you run yourself")
        .long_about(
            "Confab is a desktop chat app for the large language models you run on your own \
             machine. It talks to any OpenAI-compatible server (llama.cpp's llama-server, LM \
             Studio, Ollama, vLLM, LiteLLM, Jan), found on the usual local ports or chosen in \
             Settings, and keeps every conversation, message and summary in a local SQLite \
             database, so nothing you say is lost and every request the model sees is rebuilt \
             from what is saved.\n\n\
             Started without arguments, it opens its window (or raises the one already open). \
             confab-cli works on the same chats from a terminal.",
        );
    let man = title("confab", cmd);
    let mut head = Vec::new();
    man.render_title(&mut head).expect("to memory");
    man.render_name_section(&mut head).expect("to memory");
    man.render_synopsis_section(&mut head).expect("to memory");
    man.render_description_section(&mut head)
        .expect("to memory");
    man.render_options_section(&mut head).expect("to memory");
    let mut page = Roff::new();
    roff_environment(&mut page);
    roff_files(&mut page);
    page.control("SH", ["SEE ALSO"]);
    page.text([bold("confab-cli"), roman("(1)")]);
    join_roff(&[head, page.render().into_bytes()])
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn committed() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../docs/cli.md")
    }

    /// `make cli-docs` (`CONFAB_BLESS=1`) writes the page; otherwise it must match.
    #[test]
    fn docs_cli_md_is_what_the_definitions_say() {
        let generated = markdown();
        if std::env::var_os("CONFAB_BLESS").is_some() {
            std::fs::write(committed(), &generated).unwrap();
            return;
        }
        let on_disk = std::fs::read_to_string(committed()).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/cli.md is stale: run `make cli-docs` and commit it"
        );
    }

    #[test]
    fn every_command_and_flag_is_in_the_reference() {
        let page = markdown();
        let mut cmd = Cli::command();
        cmd.build();
        fn walk(cmd: &clap::Command, path: &str, page: &str) {
            for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
                if sub.get_name() == "help" {
                    continue;
                }
                let path = format!("{path} {}", sub.get_name());
                assert!(
                    page.contains(&format!("## `{path}`")),
                    "{path} has no section"
                );
                for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                    if let Some(long) = arg.get_long() {
                        assert!(page.contains(&format!("--{long}")), "{path} --{long}");
                    }
                }
                walk(sub, &path, page);
            }
        }
        walk(&cmd, "confab-cli", &page);
        assert!(
            !page.contains("confab-cli generate"),
            "a command for packaging"
        );
    }

    #[test]
    fn the_man_pages_name_every_command_and_variable() {
        let page = man_page();
        let title = page.lines().find(|l| l.starts_with(".TH")).unwrap();
        assert!(title.starts_with(".TH CONFAB-CLI 1 20"), "{title}");
        assert_eq!(
            page.matches(".ds Aq").count(),
            2,
            "the prelude once: {page}"
        );
        for section in [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "COMMANDS",
            "ENVIRONMENT",
            "FILES",
        ] {
            assert!(page.contains(&format!(".SH {section}")), "{section}");
        }
        for command in ["chat", "search", "db check", "completions"] {
            assert!(
                page.contains(&format!(".SS \"confab\\-cli {command}\"")),
                "{command}"
            );
        }
        let app = app_man_page();
        assert!(app.contains("\n.TH CONFAB 1 20"), "{app}");
        for variable in VARIABLES {
            assert!(app.contains(variable.name), "{}", variable.name);
        }
        assert!(app.contains("\\-\\-version"), "{app}");
    }

    #[test]
    fn completions_complete_the_commands_in_each_shell() {
        for (shell, expect) in [
            (clap_complete::Shell::Bash, "complete -F _confab__cli"),
            (clap_complete::Shell::Zsh, "#compdef confab-cli"),
            (clap_complete::Shell::Fish, "complete -c confab-cli"),
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out).unwrap();
            let script = String::from_utf8(out).unwrap();
            assert!(script.contains(expect), "{shell}: {script}");
            assert!(
                script.contains("search"),
                "{shell} lacks the search command"
            );
            assert!(
                !script.contains("generate"),
                "{shell} offers a hidden command"
            );
        }
    }
}
