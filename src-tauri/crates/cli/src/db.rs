//! `confab-cli db`: looking after the database file — check it, back it up, list the snapshots,
//! restore one, or save what can still be read from a damaged one. None of these upgrades or
//! even opens the database as a store, so they work on a damaged, foreign or newer file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use confab_core::export::{self, ExportFile};
use confab_core::store::recovery::{self, CheckDepth, SnapshotInfo};
use confab_core::store::{backups_dir, SnapshotKind, Store};

use crate::args::DbCommand;

pub async fn run(db: &Path, command: DbCommand) -> Result<ExitCode> {
    let needs_file = !matches!(
        command,
        DbCommand::Snapshots { .. } | DbCommand::Restore { .. }
    );
    if needs_file && !db.is_file() {
        bail!(
            "there is no database at {} yet: Confab creates it when it first starts",
            db.display()
        );
    }
    match command {
        DbCommand::Check { full, json } => check(db, full, json).await,
        DbCommand::Backup { output } => {
            let written = recovery::backup(db, output.as_deref(), chrono::Utc::now()).await?;
            outln!(
                "Wrote a checked copy of {} to {} ({}).",
                db.display(),
                written.display(),
                size(std::fs::metadata(&written).map_or(0, |m| m.len()))
            )?;
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Snapshots { json } => {
            snapshots(db, json).await?;
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Restore { snapshot } => {
            let snapshot = recovery::find_snapshot(db, &snapshot)?;
            let restored = recovery::restore(db, &snapshot, chrono::Utc::now()).await?;
            outln!("Restored {} as {}.", restored.snapshot, db.display())?;
            match restored.set_aside {
                Some(aside) => outln!("The database it replaced is kept at {aside}.")?,
                None => outln!("There was no database to replace.")?,
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Salvage { output } => {
            let store = Store::open_for_reading(db).await?;
            let mut file = ExportFile::create(&output)?;
            let saved = export::export_readable(&store, file.writer()).await;
            store.close().await;
            let saved = saved?;
            let path = file.finish()?;
            outln!(
                "Saved {} chats ({} messages) to {}.",
                saved.conversations,
                saved.messages,
                path.display()
            )?;
            if !saved.unreadable.is_empty() {
                outln!(
                    "{} could not be read: {}.",
                    saved.unreadable.len(),
                    saved.unreadable.join(", ")
                )?;
            }
            if let Some(why) = &saved.stopped {
                outln!("Reading stopped early: {why}.")?;
            }
            Ok(exit(saved.unreadable.is_empty() && saved.stopped.is_none()))
        }
    }
}

async fn check(db: &Path, full: bool, json: bool) -> Result<ExitCode> {
    let depth = if full {
        CheckDepth::Full
    } else {
        CheckDepth::Quick
    };
    let report = recovery::check(db, depth).await?;
    let healthy = report.ok && !report.is_newer();
    if json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(exit(healthy));
    }
    let kind = if full {
        "integrity check"
    } else {
        "quick check"
    };
    if report.ok {
        outln!("{}: ok ({kind}, {} ms)", report.path, report.elapsed_ms)?;
    } else {
        outln!(
            "{}: damaged — SQLite's {kind} found {}:",
            report.path,
            plural(report.problems.len(), "problem")
        )?;
        for problem in &report.problems {
            outln!("  - {problem}")?;
        }
    }
    match report.schema_version {
        Some(v) if report.is_newer() => outln!(
            "  written by a newer Confab (upgrade {v}; this one knows up to {}): update Confab \
             to open it",
            report.known_version
        )?,
        Some(v) => outln!("  schema: upgrade {v} of {}", report.known_version)?,
        None => outln!("  schema: cannot be read")?,
    }
    let count = |n: Option<i64>| n.map_or("cannot be read".to_owned(), |n| n.to_string());
    outln!(
        "  chats: {}, messages: {}, size: {}",
        count(report.chats),
        count(report.messages),
        size(report.size_bytes)
    )?;
    if !report.ok {
        outln!(
            "Save what can be read with `confab-cli db salvage -o FILE`, then restore a \
             snapshot: `confab-cli db snapshots`, `confab-cli db restore FILE`."
        )?;
    }
    Ok(exit(healthy))
}

async fn snapshots(db: &Path, json: bool) -> Result<()> {
    let list = recovery::snapshots(db).await;
    if json {
        outln!("{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(());
    }
    if list.is_empty() {
        outln!(
            "No snapshots in {} yet: Confab takes one before each upgrade; make one now with \
             `confab-cli db backup`.",
            backups_dir(db).display()
        )?;
        return Ok(());
    }
    outln!(
        "{:<16}  {:<21}  {:>7}  {:>9}  FILE",
        "TAKEN",
        "KIND",
        "CHATS",
        "SIZE"
    )?;
    for s in &list {
        outln!(
            "{:<16}  {:<21}  {:>7}  {:>9}  {}",
            s.taken_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M"),
            kind(s),
            s.chats.map_or("?".to_owned(), |n| n.to_string()),
            size(s.size_bytes),
            s.file_name
        )?;
    }
    outln!("In {}", backups_dir(db).display())?;
    Ok(())
}

fn kind(s: &SnapshotInfo) -> &'static str {
    match s.kind {
        SnapshotKind::BeforeUpgrade => "before an upgrade",
        SnapshotKind::Backup => "backup",
        SnapshotKind::BeforeRestore => "replaced by a restore",
        SnapshotKind::Other => "other file",
    }
}

fn exit(healthy: bool) -> ExitCode {
    if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else if b < KB * KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else {
        format!("{:.2} GB", b / (KB * KB * KB))
    }
}
