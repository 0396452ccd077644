//! `confab-cli export` and `confab-cli import`.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use confab_core::export::{self, ExportFile, ExportOptions, ExportStats, Format, ImportSource};
use confab_core::store::{ConversationId, Store};

pub async fn export(
    store: &Store,
    id: Option<i64>,
    format: Format,
    all: bool,
    redact: bool,
    output: Option<&Path>,
) -> Result<()> {
    let what = if all {
        None
    } else {
        Some(ConversationId(
            id.context("which conversation? give its id, or --all")?,
        ))
    };
    let Some(path) = output else {
        let mut out = BufWriter::new(std::io::stdout());
        write(store, what, format, redact, &mut out).await?;
        out.flush()?;
        return Ok(());
    };
    // Written beside the target and renamed at the end: a failed export leaves no half file.
    let mut file = ExportFile::create(path)?;
    let stats = write(store, what, format, redact, file.writer()).await?;
    file.finish()?;
    eprintln!(
        "Exported {} conversation{} ({} messages) to {}",
        stats.conversations,
        if stats.conversations == 1 { "" } else { "s" },
        stats.messages,
        path.display()
    );
    Ok(())
}

/// One conversation, or every one as a backup when `id` is `None`.
async fn write(
    store: &Store,
    id: Option<ConversationId>,
    format: Format,
    redact: bool,
    out: &mut (dyn Write + Send),
) -> Result<ExportStats> {
    Ok(match id {
        None => export::export_backup(store, out).await?,
        Some(id) => {
            let endpoint = confab_core::server::endpoint_url(store, None).await.ok();
            let options = ExportOptions { redact, endpoint };
            export::export_conversation(store, id, format, &options, out).await?
        }
    })
}

pub async fn import(store: &Store, file: &Path, dry_run: bool) -> Result<()> {
    let plan = export::read_import(file)?;
    let preview = plan.preview();
    let source = match preview.source {
        ImportSource::ConfabConversation => "a Confab conversation export",
        ImportSource::ConfabBackup => "a Confab backup",
        ImportSource::ChatGpt => "a ChatGPT export",
    };
    outln!(
        "{}: {source} with {} conversation{} and {} messages",
        file.display(),
        preview.conversations,
        if preview.conversations == 1 { "" } else { "s" },
        preview.messages
    )?;
    if preview.skipped_messages > 0 || preview.skipped_parts > 0 {
        outln!(
            "Skipped: {} messages (system, hidden, tool or empty) and {} non-text parts (images, files)",
            preview.skipped_messages, preview.skipped_parts
        )?;
    }
    if dry_run {
        outln!("Dry run: nothing imported.")?;
        return Ok(());
    }
    let ids = export::import(store, &plan).await?;
    let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
    outln!(
        "Imported {} conversation{}: {}",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" },
        list.join(", ")
    )?;
    Ok(())
}
