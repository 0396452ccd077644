//! Export and import files on disk, the same for every front end.
//!
//! An export is written to a temporary file in the target's directory and renamed over the target
//! only once complete, so a failed export never leaves a half-written file under the real name
//! (and the rename never crosses a file system). An import file is read whole, then parsed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{
    export_conversation, parse_import, ConversationId, ExportError, ExportOptions, ExportStats,
    Format, ImportError, ImportPlan, Store,
};

/// An export being written; [`ExportFile::finish`] puts it in place.
pub struct ExportFile {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    out: BufWriter<File>,
}

impl ExportFile {
    /// Starts an export to `path` (a relative path without a directory means the current one).
    pub fn create(path: &Path) -> Result<Self, ExportError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let write_error = |source| ExportError::Write {
            path: dir.to_owned(),
            source,
        };
        let temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
        let file = temp.reopen().map_err(write_error)?;
        Ok(Self {
            path: path.to_owned(),
            temp,
            out: BufWriter::new(file),
        })
    }

    /// Where the export's bytes go until it is finished.
    pub fn writer(&mut self) -> &mut (dyn Write + Send) {
        &mut self.out
    }

    /// Flushes the export and renames it over the target. Dropping an unfinished export removes
    /// the temporary file.
    pub fn finish(mut self) -> Result<PathBuf, ExportError> {
        self.out.flush()?;
        drop(self.out);
        self.temp
            .persist(&self.path)
            .map_err(|e| ExportError::Write {
                path: self.path.clone(),
                source: e.error,
            })?;
        Ok(self.path)
    }
}

/// Writes one conversation in `format` to the file at `path` (see [`ExportFile`]).
pub async fn export_conversation_to(
    store: &Store,
    id: ConversationId,
    format: Format,
    options: &ExportOptions,
    path: &Path,
) -> Result<ExportStats, ExportError> {
    let mut file = ExportFile::create(path)?;
    let stats = export_conversation(store, id, format, options, file.writer()).await?;
    file.finish()?;
    Ok(stats)
}

/// Reads and parses the import file at `path` (see [`parse_import`]); nothing is written.
/// Blocking: call it off the async runtime's threads.
pub fn read_import(path: &Path) -> Result<ImportPlan, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_import(&bytes)
}
