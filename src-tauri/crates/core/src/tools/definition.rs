//! What an MCP server is, as the user approves it: a command line (with its environment's names
//! and working folder) or a URL (with its headers' names), and the hash approval is recorded
//! against.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::hidden::escape_hidden;
use super::ToolsError;

/// The longest server name, in characters.
pub const MAX_SERVER_NAME_CHARS: usize = 64;
/// The default time a call may take without a word of progress.
pub const DEFAULT_TIMEOUT_SECS: u32 = 60;
/// The longest timeout a server may be given.
pub const MAX_TIMEOUT_SECS: u32 = 3600;

/// How Confab talks to a server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// A program Confab starts, speaking over its standard input and output.
    #[default]
    Stdio,
    /// A streamable-HTTP endpoint.
    Http,
}

impl Transport {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "stdio" => Some(Self::Stdio),
            "http" => Some(Self::Http),
            _ => None,
        }
    }
}

/// Whether a server may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// The user approved this exact definition: it starts when a chat needs it.
    Approved,
    /// New from an import, or changed since approved: never started until the user approves it.
    NeedsApproval,
    /// Turned off by the user.
    Off,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::NeedsApproval => "needs_approval",
            Self::Off => "off",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "approved" => Some(Self::Approved),
            "needs_approval" => Some(Self::NeedsApproval),
            "off" => Some(Self::Off),
            _ => None,
        }
    }
}

/// A server as defined: for `stdio`, `command` (a program name found on `PATH`, or a path), its
/// `args`, the `env` it gets beyond `PATH`, `HOME` and the locale, and its working folder; for
/// `http`, the `url` and the names of the headers sent (their values are secrets, kept in the OS
/// keyring).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ServerDefinition {
    pub name: String,
    #[serde(default)]
    pub transport: Transport,
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub cwd: Option<String>,
    pub url: Option<String>,
    #[serde(default)]
    pub headers: Vec<String>,
}

impl ServerDefinition {
    /// A stdio server.
    pub fn stdio(name: &str, command: &str, args: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            transport: Transport::Stdio,
            command: Some(command.to_owned()),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            ..Self::default()
        }
    }

    /// A streamable-HTTP server.
    pub fn http(name: &str, url: &str) -> Self {
        Self {
            name: name.to_owned(),
            transport: Transport::Http,
            url: Some(url.to_owned()),
            ..Self::default()
        }
    }

    /// The hash approval is recorded against: of everything the approval screen shows (the
    /// transport, command, arguments, the environment's names, the folder; or the URL and the
    /// headers' names), not of the name or of secret values.
    pub fn hash(&self) -> String {
        let mut env: Vec<&str> = self.env.keys().map(String::as_str).collect();
        env.sort_unstable();
        let mut headers: Vec<String> = self
            .headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        headers.sort_unstable();
        let seen = serde_json::json!({
            "transport": self.transport.as_str(),
            "command": self.command,
            "args": self.args,
            "env": env,
            "cwd": self.cwd,
            "url": self.url,
            "headers": headers,
        });
        hex(&Sha256::digest(seen.to_string().as_bytes()))
    }

    /// What the user approves, untruncated: the command line with each argument quoted as a
    /// shell would need it (though none is used), or the URL; hidden characters escaped.
    pub fn command_line(&self) -> String {
        self.command_words().join(" ")
    }

    /// [`ServerDefinition::command_line`], a word at a time: the program and each argument, each
    /// quoted as a shell would need it and escaped; or the URL alone.
    pub fn command_words(&self) -> Vec<String> {
        match self.transport {
            Transport::Http => vec![escape_hidden(self.url.as_deref().unwrap_or_default())],
            Transport::Stdio => std::iter::once(self.command.as_deref().unwrap_or_default())
                .chain(self.args.iter().map(String::as_str))
                .map(|word| escape_hidden(&quote(word)))
                .collect(),
        }
    }

    /// Refuses a definition that could not run or could hide something.
    pub fn validate(&self) -> Result<(), ToolsError> {
        check_name(&self.name)?;
        match self.transport {
            Transport::Stdio => {
                let command = self.command.as_deref().unwrap_or_default();
                if command.trim().is_empty() {
                    return Err(invalid(format!(
                        "the server “{}” has no command to run",
                        self.name
                    )));
                }
                if self.url.is_some() || !self.headers.is_empty() {
                    return Err(invalid(format!(
                        "the server “{}” runs a command, so it takes no URL or headers",
                        self.name
                    )));
                }
                for word in std::iter::once(command).chain(self.args.iter().map(String::as_str)) {
                    if word.contains('\0') {
                        return Err(invalid("a command or argument cannot hold a NUL character"));
                    }
                }
                for (key, value) in &self.env {
                    check_env_name(key)?;
                    if value.contains('\0') {
                        return Err(invalid(format!(
                            "the environment variable {key} cannot hold a NUL character"
                        )));
                    }
                }
                if let Some(cwd) = &self.cwd {
                    if !std::path::Path::new(cwd).is_absolute() {
                        return Err(invalid(format!(
                            "the working folder {cwd:?} must be an absolute path"
                        )));
                    }
                }
            }
            Transport::Http => {
                let url = self.url.as_deref().unwrap_or_default();
                let parsed = url::Url::parse(url).map_err(|e| {
                    invalid(format!(
                        "{url:?} is not a URL ({e}): use e.g. http://localhost:3001/mcp"
                    ))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                    return Err(invalid(format!(
                        "{url:?} must be an http:// or https:// URL"
                    )));
                }
                if self.command.is_some() || !self.args.is_empty() || !self.env.is_empty() {
                    return Err(invalid(format!(
                        "the server “{}” is a URL, so it takes no command, arguments or environment",
                        self.name
                    )));
                }
                for header in &self.headers {
                    check_header_name(header)?;
                }
            }
        }
        Ok(())
    }
}

/// The lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid(message: impl Into<String>) -> ToolsError {
    ToolsError::Invalid(message.into())
}

/// A server name: 1 to 64 characters, no control characters, no `/` (it separates server and tool
/// in `--allow NAME/TOOL`), nothing hidden.
pub(crate) fn check_name(name: &str) -> Result<(), ToolsError> {
    let chars = name.chars().count();
    if name.trim() != name || chars == 0 || chars > MAX_SERVER_NAME_CHARS {
        return Err(invalid(format!(
            "a server name has 1 to {MAX_SERVER_NAME_CHARS} characters, without spaces at either end"
        )));
    }
    if name.contains('/') || name.chars().any(|c| super::hidden::classify(c).is_some()) {
        return Err(invalid(format!(
            "the server name {:?} may not contain “/”, control or invisible characters",
            escape_hidden(name)
        )));
    }
    Ok(())
}

fn check_env_name(name: &str) -> Result<(), ToolsError> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(invalid(format!(
            "{:?} is not an environment variable name (letters, digits and _, not starting with a digit)",
            escape_hidden(name)
        )));
    }
    Ok(())
}

fn check_header_name(name: &str) -> Result<(), ToolsError> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(invalid(format!(
            "{:?} is not an HTTP header name",
            escape_hidden(name)
        )));
    }
    Ok(())
}

/// `word` as a POSIX shell would need it quoted to mean exactly it (single quotes, `'\''` for a
/// quote), or bare when it has only safe characters.
fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_what_is_shown_and_not_secrets() {
        let mut def = ServerDefinition::stdio("files", "npx", &["-y", "server-files", "/home/me"]);
        def.env.insert("TOKEN".into(), "one".into());
        let base = def.hash();
        assert_eq!(base.len(), 64);

        let mut renamed = def.clone();
        renamed.name = "other".into();
        assert_eq!(renamed.hash(), base, "the name is not part of what runs");
        let mut value = def.clone();
        value.env.insert("TOKEN".into(), "two".into());
        assert_eq!(value.hash(), base, "a value changed, not a name");

        for changed in [
            {
                let mut d = def.clone();
                d.args.push("/etc".into());
                d
            },
            {
                let mut d = def.clone();
                d.command = Some("bash".into());
                d
            },
            {
                let mut d = def.clone();
                d.env.insert("LD_PRELOAD".into(), "x".into());
                d
            },
            {
                let mut d = def.clone();
                d.cwd = Some("/tmp".into());
                d
            },
        ] {
            assert_ne!(changed.hash(), base, "{changed:?}");
        }
        let http = ServerDefinition::http("web", "https://example.com/mcp");
        let mut with_header = http.clone();
        with_header.headers.push("Authorization".into());
        assert_ne!(http.hash(), with_header.hash());
    }

    #[test]
    fn the_command_line_is_whole_and_quoted() {
        let def = ServerDefinition::stdio(
            "x",
            "python3",
            &[
                "-c",
                "import os; os.system('rm -rf ~')",
                "a b",
                "\u{202E}txt",
            ],
        );
        assert_eq!(
            def.command_line(),
            r#"python3 -c 'import os; os.system('\''rm -rf ~'\'')' 'a b' '\u{202E}txt'"#
        );
    }

    #[test]
    fn bad_definitions_are_refused() {
        for def in [
            ServerDefinition::stdio("", "x", &[]),
            ServerDefinition::stdio("a/b", "x", &[]),
            ServerDefinition::stdio("ok", " ", &[]),
            ServerDefinition::http("web", "file:///etc/passwd"),
            ServerDefinition::http("web", "not a url"),
            {
                let mut d = ServerDefinition::stdio("ok", "x", &[]);
                d.env.insert("1BAD".into(), "v".into());
                d
            },
            {
                let mut d = ServerDefinition::stdio("ok", "x", &[]);
                d.cwd = Some("relative/dir".into());
                d
            },
        ] {
            assert!(def.validate().is_err(), "{def:?}");
        }
        assert!(ServerDefinition::stdio("files", "npx", &["-y"])
            .validate()
            .is_ok());
        assert!(ServerDefinition::http("web", "http://127.0.0.1:3001/mcp")
            .validate()
            .is_ok());
    }
}
