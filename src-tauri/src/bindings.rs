//! The TypeScript of every type that crosses IPC, generated from the Rust types (ts-rs) into
//! `ui/src/ipc/bindings.ts`, which is checked in.
//!
//! The test below fails when that file is not what the Rust types say; `make bindings`
//! (`CONFAB_BLESS=1 cargo test --workspace --lib bindings`) rewrites it. The file is the same
//! on every machine: the types come in the order listed here, and nothing in it depends on time
//! or place.

use std::collections::BTreeSet;

use confab_core::error::ErrorCode;
use confab_core::export::Format;
use ts_rs::{Config, TS};

/// Where the bindings live, from this crate's directory.
const PATH: &str = "../ui/src/ipc/bindings.ts";

const HEADER: &str = "\
// Generated from the Rust types by src-tauri/src/bindings.rs: do not edit.
// Regenerate with `make bindings` (CONFAB_BLESS=1 cargo test --workspace --lib bindings).
";

/// The declarations so far, and the names they declare.
struct Bindings {
    cfg: Config,
    out: String,
    declared: BTreeSet<String>,
    needed: BTreeSet<String>,
}

impl Bindings {
    fn declare<T: TS + 'static + ?Sized>(&mut self) {
        let name = T::ident(&self.cfg);
        assert!(
            self.declared.insert(name.clone()),
            "{name} is declared twice"
        );
        self.needed
            .extend(T::dependencies(&self.cfg).into_iter().map(|d| d.ts_name));
        self.out.push('\n');
        if let Some(docs) = T::docs() {
            self.out.push_str(&docs);
        }
        self.out.push_str("export ");
        self.out.push_str(&T::decl(&self.cfg));
        self.out.push('\n');
    }
}

macro_rules! declare {
    ($bindings:ident: $($ty:ty),* $(,)?) => {
        $($bindings.declare::<$ty>();)*
    };
}

/// The whole file.
pub fn render() -> String {
    use confab_core::{
        attachments, chat, export, inherit, links, llm, memory, recall, secrets, settings, store,
    };

    let mut b = Bindings {
        // i64 ids and u64 counts are plain JSON numbers on the wire (all well below 2^53).
        cfg: Config::new().with_large_int("number"),
        out: HEADER.to_owned(),
        declared: BTreeSet::new(),
        needed: BTreeSet::new(),
    };
    declare!(b:
        // Errors.
        ErrorCode,
        crate::error::IpcError,
        // Conversations and messages.
        store::ConversationId,
        store::MessageId,
        store::SummaryId,
        store::Conversation,
        store::TitleSource,
        store::ConversationCursor,
        store::Page<store::Conversation>,
        store::Role,
        store::MessageStatus,
        store::Ending,
        store::StatFigure,
        store::ReplyStats,
        attachments::AttachmentKind,
        attachments::Attachment,
        store::ToolDecision,
        store::ToolCallRecord,
        store::Message,
        store::ReplyVersion,
        store::Summary,
        // Replies as they stream, and the app's own changes.
        store::ToolServerId,
        chat::ConsentRequest,
        chat::ChatEvent,
        chat::ServiceUpdate,
        recall::RecallStatus,
        llm::Usage,
        llm::FinishReason,
        // Servers and settings.
        llm::discovery::ModelInfo,
        llm::discovery::FoundServer,
        secrets::KeyStorage,
        settings::Theme,
        settings::AppSettings,
        settings::RecallSettings,
        settings::ChatOptions,
        crate::commands::settings::SettingsView,
        // The memory panel.
        settings::Strategy,
        memory::ContextSource,
        memory::Part,
        memory::RecallSource,
        memory::RecallReport,
        memory::RecallCandidate,
        llm::WireRole,
        memory::Included,
        memory::LeftOutReason,
        memory::LeftOut,
        memory::ContextReport,
        crate::commands::memory::ContextView,
        // Export and import.
        crate::commands::transfer::Exported,
        export::ImportSource,
        export::ImportPreview,
        export::ImportProgress,
        crate::commands::transfer::ImportChoice,
        // Images in replies.
        links::RemoteImage,
        // Files attached in the composer.
        crate::commands::attachments::PendingAttachment,
        crate::commands::attachments::Attached,
        crate::commands::attachments::DropEvent,
        crate::commands::drafts::SavedDraft,
        // Search.
        store::SearchQuery,
        store::SearchMode,
        store::Matched,
        store::Snippet,
        store::SearchHit,
        store::TitleHit,
        store::SearchResults,
        // The recovery screen.
        crate::commands::recovery::DatabaseInfo,
        store::SnapshotKind,
        store::recovery::SnapshotInfo,
        store::recovery::Restored,
        export::Salvaged,
        crate::commands::recovery::ReadableExport,
        // Projects and where a chat's options come from.
        store::ProjectId,
        store::Project,
        store::ProjectDefaults,
        store::ProjectChats,
        store::DeletedProject,
        inherit::OptionSource,
        inherit::Resolved<String>,
        inherit::ProjectRef,
        inherit::ResolvedOptions,
        crate::commands::conversations::ProjectScope,
        // Tools: servers in Settings, consent in the conversation, a chat's and a project's
        // servers.
        confab_core::tools::Transport,
        confab_core::tools::ServerState,
        confab_core::tools::HiddenText,
        confab_core::tools::ToolStatus,
        confab_core::tools::SpecView,
        confab_core::tools::ToolView,
        confab_core::tools::ServerView,
        store::ToolAllowance,
        store::ToolServerChoice,
        chat::Consent,
        crate::commands::tools::ToolsOverview,
        crate::commands::tools::NewToolServer,
        crate::commands::tools::AddedServer,
        crate::commands::tools::ConsentOutcome,
    );
    let missing: Vec<_> = b.needed.difference(&b.declared).collect();
    assert!(missing.is_empty(), "declare these too: {missing:?}");

    let mut out = b.out;
    out.push_str("\n/** Every code an error can have, in the order the core lists them. */\n");
    out.push_str("export const ERROR_CODES: readonly ErrorCode[] = [\n");
    for code in ErrorCode::ALL {
        out.push_str(&format!("  {},\n", json(code.as_str())));
    }
    out.push_str("];\n");
    out.push_str(
        "\n/** The export formats, in the order the app offers them; `format` is what \
         `export_conversation` takes. */\n",
    );
    out.push_str("export const EXPORT_FORMATS = [\n");
    for format in Format::ALL {
        out.push_str(&format!(
            "  {{ format: {}, label: {}, hint: {} }},\n",
            json(format.extension()),
            json(format.label()),
            json(format.hint())
        ));
    }
    out.push_str("] as const;\n");
    out.push_str("\nexport type ExportFormat = (typeof EXPORT_FORMATS)[number][\"format\"];\n");
    out
}

/// A string as a TypeScript literal.
fn json(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_match_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
        let fresh = render();
        if std::env::var_os("CONFAB_BLESS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == fresh,
            "{} is stale: run `make bindings` and commit it",
            path.display()
        );
    }

    #[test]
    fn every_error_code_is_in_the_union() {
        let cfg = Config::new();
        let union = ErrorCode::inline(&cfg);
        assert_eq!(
            union.matches('"').count(),
            2 * ErrorCode::ALL.len(),
            "{union}"
        );
        for code in ErrorCode::ALL {
            assert!(union.contains(&json(code.as_str())), "{code} in {union}");
        }
    }
}
