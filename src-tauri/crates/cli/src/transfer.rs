//! `confab-cli export` and `confab-cli import`.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use confab_core::export::{self, ExportOptions, Format, ImportSource};
use confab_core::store::{ConversationId, Store};

pub async fn export(
    store: &Store,
    id: Option<i64>,
    format: Format,
    all: bool,
    redact: bool,
    output: Option<&Path>,
) -> Result<()> {
    // Write to a temporary file beside the target and rename it at the end, so a failed export
    // never leaves a half-written file under the real name.
    let (mut out, temp): (Box<dyn Write + Send>, Option<tempfile::NamedTempFile>) = match output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let temp = tempfile::NamedTempFile::new_in(dir)
                .with_context(|| format!("cannot write in {}", dir.display()))?;
            let file = temp.reopen()?;
            (Box::new(BufWriter::new(file)), Some(temp))
        }
        None => (Box::new(BufWriter::new(std::io::stdout())), None),
    };
    let stats = if all {
        export::export_backup(store, &mut out).await?
    } else {
        let id = ConversationId(id.context("which conversation? give its id, or --all")?);
        let endpoint = confab_core::server::endpoint_url(store, None).await.ok();
        export::export_conversation(
            store,
            id,
            format,
            &ExportOptions { redact, endpoint },
            &mut out,
        )
        .await?
    };
    out.flush()?;
    drop(out);
    if let (Some(temp), Some(path)) = (temp, output) {
        temp.persist(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "Exported {} conversation{} ({} messages) to {}",
            stats.conversations,
            if stats.conversations == 1 { "" } else { "s" },
            stats.messages,
            path.display()
        );
    }
    Ok(())
}

pub async fn import(store: &Store, file: &Path, dry_run: bool) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let plan = export::parse_import(&bytes)?;
    let preview = plan.preview();
    let source = match preview.source {
        ImportSource::ConfabConversation => "a Confab conversation export",
        ImportSource::ConfabBackup => "a Confab backup",
        ImportSource::ChatGpt => "a ChatGPT export",
    };
    println!(
        "{}: {source} with {} conversation{} and {} messages",
        file.display(),
        preview.conversations,
        if preview.conversations == 1 { "" } else { "s" },
        preview.messages
    );
    if preview.skipped_messages > 0 || preview.skipped_parts > 0 {
        println!(
            "Skipped: {} messages (system, hidden, tool or empty) and {} non-text parts (images, files)",
            preview.skipped_messages, preview.skipped_parts
        );
    }
    if dry_run {
        println!("Dry run: nothing imported.");
        return Ok(());
    }
    let ids = export::import(store, &plan).await?;
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    println!(
        "Imported {} conversation{}: {}",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        list.join(", ")
    );
    Ok(())
}
