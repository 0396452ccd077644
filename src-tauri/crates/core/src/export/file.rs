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

/// Writes a project's chats as a backup archive to the file at `path` (see [`ExportFile`]).
pub async fn export_project_to(
    store: &Store,
    project: crate::store::ProjectId,
    path: &Path,
) -> Result<ExportStats, ExportError> {
    let mut file = ExportFile::create(path)?;
    let stats = super::export_project(store, project, file.writer()).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Coded, ErrorCode};

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_export_appears_under_its_name_only_once_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.md");
        std::fs::write(&path, "old").unwrap();
        let mut file = ExportFile::create(&path).unwrap();
        file.writer().write_all(b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(file.finish().unwrap(), path);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), ["chat.md"]);
    }

    #[test]
    fn an_unfinished_export_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = ExportFile::create(&dir.path().join("chat.md")).unwrap();
        file.writer().write_all(b"half").unwrap();
        drop(file);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn files_that_cannot_be_written_or_read_say_which() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no such dir");
        let err = ExportFile::create(&missing.join("chat.md")).err().unwrap();
        assert_eq!(err.code(), ErrorCode::Io);
        assert!(err.to_string().contains("no such dir"), "{err}");
        let err = read_import(&missing.join("backup.json")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Io);
        assert!(err.to_string().contains("backup.json"), "{err}");
    }
}
