//! What a person is shown of a server and its tools, in a window that must not be trusted with
//! more than it shows: every text a server or a definition carries escaped where it hides
//! characters, the environment's and the headers' names without their values, and the command
//! line whole.

use serde::Serialize;
use ts_rs::TS;

use super::hidden::{escape_hidden, HiddenText};
use super::{ServerDefinition, ServerState, Transport};
use crate::store::{ToolDefinition, ToolServer, ToolServerId, ToolSpec};

/// A server as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ServerView {
    pub id: ToolServerId,
    pub name: String,
    pub transport: Transport,
    /// `approved` only while the definition is still the one approved.
    pub state: ServerState,
    /// The definition changed since it was approved (it waits for approval again).
    pub changed_since_approved: bool,
    /// The exact command line (each argument quoted as a shell would need it) or the URL,
    /// untruncated, hidden characters escaped.
    pub command_line: String,
    /// The same, a word at a time (each quoted and escaped as in `command_line`), so a window can
    /// wrap it between words only.
    pub command_words: Vec<String>,
    /// The working folder of a stdio server (none: the home folder).
    pub cwd: Option<String>,
    /// The names of the environment variables it is given (never their values).
    pub env_names: Vec<String>,
    /// The names of the headers an HTTP server is sent (the values are in the keyring).
    pub header_names: Vec<String>,
    /// The hash of the definition as shown: what an approval is recorded against.
    pub hash: String,
    pub timeout_secs: u32,
    pub tools: Vec<ToolView>,
}

/// Where a tool stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ToolStatus {
    /// Approved as the server offers it: the model may call it.
    Usable,
    /// Changed since it was approved: held until the change is approved.
    Changed,
    /// Appeared after the server was approved: held until approved.
    New,
    /// The server no longer offers it.
    NotOffered,
}

/// One version of a tool's definition, escaped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SpecView {
    pub description: String,
    /// The input schema, pretty-printed.
    pub parameters: String,
    pub warnings: Vec<HiddenText>,
}

/// A tool of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ToolView {
    pub name: String,
    pub status: ToolStatus,
    /// The server's hints about the newest definition.
    pub read_only: bool,
    pub destructive: bool,
    pub open_world: bool,
    /// As approved (none for a new tool).
    pub approved: Option<SpecView>,
    /// As the server offers it now, when that differs from what was approved.
    pub pending: Option<SpecView>,
}

/// The server's hint `key`, or `default` when it gives none (MCP's defaults assume the worst:
/// a tool is destructive and reaches outside unless it says otherwise).
pub fn hint(annotations: &serde_json::Value, key: &str, default: bool) -> bool {
    annotations
        .get(key)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(default)
}

/// The hints of `spec`: read-only, destructive, open-world.
pub fn hints(annotations: &serde_json::Value) -> (bool, bool, bool) {
    let read_only = hint(annotations, "readOnlyHint", false);
    let destructive = !read_only && hint(annotations, "destructiveHint", true);
    let open_world = hint(annotations, "openWorldHint", true);
    (read_only, destructive, open_world)
}

impl SpecView {
    fn of(spec: &ToolSpec) -> Self {
        Self {
            description: escape_hidden(&spec.description),
            parameters: escape_hidden(
                &serde_json::to_string_pretty(&spec.input_schema).unwrap_or_default(),
            ),
            warnings: spec.warnings(),
        }
    }
}

impl ToolView {
    pub fn of(tool: &ToolDefinition) -> Self {
        let status = match (&tool.pinned, &tool.pending) {
            (_, _) if !tool.offered => ToolStatus::NotOffered,
            (Some(_), Some(_)) => ToolStatus::Changed,
            (None, Some(_)) => ToolStatus::New,
            _ => ToolStatus::Usable,
        };
        let (read_only, destructive, open_world) = hints(&tool.current().annotations);
        Self {
            name: escape_hidden(&tool.name),
            status,
            read_only,
            destructive,
            open_world,
            approved: tool.pinned.as_ref().map(SpecView::of),
            pending: tool.pending.as_ref().map(SpecView::of),
        }
    }
}

impl ServerView {
    pub fn of(server: &ToolServer) -> Self {
        let def = &server.definition;
        let state = match server.state {
            ServerState::Approved if !server.may_run() => ServerState::NeedsApproval,
            state => state,
        };
        Self {
            id: server.id,
            name: escape_hidden(&def.name),
            transport: def.transport,
            state,
            changed_since_approved: server
                .approved_hash
                .as_ref()
                .is_some_and(|approved| *approved != server.hash),
            command_line: def.command_line(),
            command_words: def.command_words(),
            cwd: def.cwd.as_deref().map(escape_hidden),
            env_names: def.env.keys().map(|k| escape_hidden(k)).collect(),
            header_names: def.headers.iter().map(|h| escape_hidden(h)).collect(),
            hash: server.hash.clone(),
            timeout_secs: server.timeout_secs,
            tools: server.tools.iter().map(ToolView::of).collect(),
        }
    }

    /// A definition about to be added, as it would be stored (with no tools yet).
    pub fn of_definition(definition: &ServerDefinition) -> Self {
        let now = chrono::Utc::now();
        Self::of(&ToolServer {
            id: ToolServerId(0),
            hash: definition.hash(),
            definition: definition.clone(),
            state: ServerState::Approved,
            approved_hash: Some(definition.hash()),
            timeout_secs: super::DEFAULT_TIMEOUT_SECS,
            tools: Vec::new(),
            created_at: now,
            updated_at: now,
        })
    }

    /// What a native confirmation shows before the server may run: the exact command line (or
    /// URL), the folder, the environment's names, and each tool change waiting with it.
    pub fn confirmation_text(&self) -> String {
        let mut text = match self.transport {
            Transport::Stdio => format!("It runs this command:\n\n{}\n", self.command_line),
            Transport::Http => format!("It connects to:\n\n{}\n", self.command_line),
        };
        if self.transport == Transport::Stdio {
            text.push_str(&format!(
                "\nIn the folder: {}\n",
                self.cwd.as_deref().unwrap_or("your home folder")
            ));
            text.push_str(&format!(
                "With the environment variables: {}\n",
                names_or_none(&self.env_names)
            ));
        } else {
            text.push_str(&format!(
                "\nSending the headers: {}\n",
                names_or_none(&self.header_names)
            ));
        }
        for tool in &self.tools {
            let (what, spec) = match (tool.status, &tool.pending) {
                (ToolStatus::Changed, Some(spec)) => ("Changed tool", spec),
                (ToolStatus::New, Some(spec)) => ("New tool", spec),
                _ => continue,
            };
            text.push_str(&format!("\n{what} {}: {}\n", tool.name, spec.description));
            if let (ToolStatus::Changed, Some(old)) = (tool.status, &tool.approved) {
                text.push_str(&format!("  (it was: {})\n", old.description));
            }
            for warning in &spec.warnings {
                text.push_str(&format!(
                    "  Warning: its description has {}\n",
                    warning.describe()
                ));
            }
        }
        text.push_str(&format!("\nDefinition hash: {}", self.hash));
        text
    }
}

fn names_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn spec(description: &str, annotations: serde_json::Value) -> ToolSpec {
        ToolSpec {
            description: description.into(),
            input_schema: serde_json::json!({"type": "object"}),
            annotations,
            hash: "h".into(),
        }
    }

    fn server(def: ServerDefinition, approved: Option<&str>) -> ToolServer {
        ToolServer {
            id: ToolServerId(1),
            hash: def.hash(),
            definition: def,
            state: ServerState::Approved,
            approved_hash: approved.map(str::to_owned),
            timeout_secs: 60,
            tools: Vec::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn values_never_leave_and_the_command_line_is_whole() {
        let mut def = ServerDefinition::stdio("files", "npx", &["-y", "a b", "\u{202E}txt"]);
        def.env.insert("GITHUB_TOKEN".into(), "ghp_secret".into());
        let hash = def.hash();
        let view = ServerView::of(&server(def, Some(&hash)));
        let json = serde_json::to_string(&view).unwrap();
        assert!(!json.contains("ghp_secret"), "{json}");
        assert_eq!(view.env_names, ["GITHUB_TOKEN"]);
        assert_eq!(view.command_line, r"npx -y 'a b' '\u{202E}txt'");
        assert_eq!(view.state, ServerState::Approved);
        let text = view.confirmation_text();
        assert!(text.contains(r"npx -y 'a b' '\u{202E}txt'"), "{text}");
        assert!(text.contains("GITHUB_TOKEN") && !text.contains("ghp_secret"));
        assert!(text.contains("your home folder"));
    }

    #[test]
    fn a_changed_definition_shows_as_waiting() {
        let def = ServerDefinition::stdio("files", "npx", &["-y"]);
        let view = ServerView::of(&server(def, Some("an older hash")));
        assert_eq!(view.state, ServerState::NeedsApproval);
        assert!(view.changed_since_approved);
    }

    #[test]
    fn tools_say_where_they_stand_with_old_and_new_side_by_side() {
        let changed = ToolDefinition {
            name: "echo".into(),
            pinned: Some(spec("Repeats.", serde_json::json!({"readOnlyHint": true}))),
            pending: Some(spec(
                "Repeats.\u{E0041}",
                serde_json::json!({"readOnlyHint": true}),
            )),
            offered: true,
        };
        let view = ToolView::of(&changed);
        assert_eq!(view.status, ToolStatus::Changed);
        assert!(view.read_only && !view.destructive && view.open_world);
        assert_eq!(view.approved.as_ref().unwrap().description, "Repeats.");
        let pending = view.pending.as_ref().unwrap();
        assert_eq!(pending.description, r"Repeats.\u{E0041}");
        assert_eq!(pending.warnings, [HiddenText::UnicodeTags]);

        let mut def = ServerDefinition::stdio("s", "x", &[]);
        def.cwd = Some("/srv".into());
        let hash = def.hash();
        let mut with_tools = server(def, Some(&hash));
        with_tools.tools = vec![changed];
        let text = ServerView::of(&with_tools).confirmation_text();
        assert!(
            text.contains(r"Changed tool echo: Repeats.\u{E0041}"),
            "{text}"
        );
        assert!(text.contains("(it was: Repeats.)"), "{text}");
        assert!(text.contains("hidden Unicode tag characters"), "{text}");
        assert!(text.contains("In the folder: /srv"), "{text}");

        let unannotated = ToolDefinition {
            name: "rm".into(),
            pinned: Some(spec("Removes.", serde_json::Value::Null)),
            pending: None,
            offered: false,
        };
        let view = ToolView::of(&unannotated);
        assert_eq!(view.status, ToolStatus::NotOffered);
        assert!(!view.read_only && view.destructive && view.open_world);
    }
}
