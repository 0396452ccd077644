//! The `mcpServers` JSON that Claude Desktop, Cursor and LM Studio keep their servers in (VS Code's
//! `servers` too): each entry becomes a definition that waits for the user's approval.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::definition::{ServerDefinition, Transport};
use super::ToolsError;

/// One server read from the file, with the values of its headers (secrets: they go to the
/// keyring, not into the definition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedServer {
    pub definition: ServerDefinition,
    pub header_values: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct File {
    #[serde(rename = "mcpServers", alias = "servers")]
    servers: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type", alias = "transport")]
    kind: Option<String>,
    command: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    cwd: Option<String>,
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// Reads an `mcpServers` file. Every `type` spelling in use is accepted: `stdio`; `http`,
/// `streamable-http`, `streamableHttp` and `sse` (a URL: Confab speaks streamable HTTP to it); no
/// type at all (a `command` means stdio, a `url` HTTP).
pub fn parse_mcp_servers(json: &str) -> Result<Vec<ImportedServer>, ToolsError> {
    let file: File = serde_json::from_str(json).map_err(|e| {
        ToolsError::Invalid(format!(
            "this is not an mcpServers file ({e}): it should look like {{\"mcpServers\": {{\"name\": {{\"command\": …}}}}}}"
        ))
    })?;
    let servers = file.servers.ok_or_else(|| {
        ToolsError::Invalid(
            "the file has no “mcpServers” object: it should look like {\"mcpServers\": {\"name\": {\"command\": …}}}".into(),
        )
    })?;
    let mut out = Vec::with_capacity(servers.len());
    for (name, value) in servers {
        let entry: Entry = serde_json::from_value(value).map_err(|e| {
            ToolsError::Invalid(format!(
                "the server “{name}” in the file is not readable: {e}"
            ))
        })?;
        let transport = match entry.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("stdio") => Transport::Stdio,
            Some("http" | "streamable-http" | "streamablehttp" | "streamable_http" | "sse") => {
                Transport::Http
            }
            Some(other) => {
                return Err(ToolsError::Invalid(format!(
                    "the server “{name}” has the type “{other}”, which Confab does not know (stdio, http, streamable-http, sse)"
                )))
            }
            None if entry.command.is_some() => Transport::Stdio,
            None if entry.url.is_some() => Transport::Http,
            None => {
                return Err(ToolsError::Invalid(format!(
                    "the server “{name}” has neither a command nor a url"
                )))
            }
        };
        let definition = match transport {
            Transport::Stdio => ServerDefinition {
                name: name.clone(),
                transport,
                command: entry.command,
                args: entry.args,
                env: entry.env,
                cwd: entry.cwd,
                ..ServerDefinition::default()
            },
            Transport::Http => ServerDefinition {
                name: name.clone(),
                transport,
                url: entry.url,
                headers: entry.headers.keys().cloned().collect(),
                ..ServerDefinition::default()
            },
        };
        definition.validate()?;
        let header_values = match transport {
            Transport::Http => entry.headers,
            Transport::Stdio => BTreeMap::new(),
        };
        out.push(ImportedServer {
            definition,
            header_values,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_spelling_is_read() {
        let json = r#"{
          "mcpServers": {
            "files": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], "env": { "DEBUG": "1" } },
            "local": { "type": "stdio", "command": "uvx", "args": ["mcp-server-time"] },
            "a": { "type": "http", "url": "http://127.0.0.1:1/mcp" },
            "b": { "type": "streamable-http", "url": "http://127.0.0.1:2/mcp", "headers": { "Authorization": "Bearer s3cret" } },
            "c": { "type": "streamableHttp", "url": "http://127.0.0.1:3/mcp" },
            "d": { "type": "sse", "url": "http://127.0.0.1:4/sse" },
            "e": { "url": "http://127.0.0.1:5/mcp" }
          }
        }"#;
        let servers = parse_mcp_servers(json).unwrap();
        let names: Vec<_> = servers.iter().map(|s| s.definition.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e", "files", "local"]);
        assert!(servers[..5]
            .iter()
            .all(|s| s.definition.transport == Transport::Http));
        assert_eq!(servers[1].definition.headers, ["Authorization"]);
        assert_eq!(servers[1].header_values["Authorization"], "Bearer s3cret");
        let files = &servers[5].definition;
        assert_eq!(files.transport, Transport::Stdio);
        assert_eq!(files.command.as_deref(), Some("npx"));
        assert_eq!(files.env["DEBUG"], "1");
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        for (json, says) in [
            ("[]", "not an mcpServers file"),
            ("{}", "no “mcpServers”"),
            (
                r#"{"mcpServers":{"x":{"type":"websocket","url":"ws://a"}}}"#,
                "websocket",
            ),
            (r#"{"mcpServers":{"x":{}}}"#, "neither a command nor a url"),
            (
                r#"{"mcpServers":{"x":{"url":"file:///etc"}}}"#,
                "http:// or https://",
            ),
        ] {
            let err = parse_mcp_servers(json).unwrap_err().to_string();
            assert!(err.contains(says), "{json}: {err}");
        }
    }
}
