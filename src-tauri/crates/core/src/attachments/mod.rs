//! Files attached to a message: what a file is (a text file or an image, told by its bytes, never
//! its name), the limits, and how a text file's text goes into the message.
//!
//! A text or code file becomes part of the message's text, fenced, under its name, so the model,
//! search and every export see it like typed text. An image is kept as an attachment and sent as
//! an OpenAI-style `image_url` content part (see [`crate::llm::ChatMessage`]); only models that
//! take images get one ([`vision`]). Both are stored content-addressed with the message (see
//! `store/attachments.rs`): the same bytes twice are stored once.
//!
//! Front ends read the files (the desktop shell after a native dialog or a drop, the CLI from its
//! arguments) and hand the bytes here; the webview never reads the file system.

mod gif;
pub mod vision;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use ts_rs::TS;

use crate::error::{Coded, ErrorCode};

/// The largest text file that goes into a message: 512 KiB, half of what a message may hold
/// ([`crate::store::MAX_CONTENT_BYTES`]), so that a file and a question fit together.
pub const MAX_TEXT_BYTES: usize = 512 * 1024;
/// The largest image: 10 MiB, above a phone photo, well below what bloats the database or a
/// request (an image is sent base64-encoded, a third larger, with every request that carries it).
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The most files one message carries.
pub const MAX_ATTACHMENTS: usize = 10;
/// The tokens an image is counted as in the context budget. No server says what an image costs
/// before it is sent (`/tokenize` takes text only), so this is an estimate: the middle of what
/// common vision models use per image (Gemma 3: 256, LLaVA 1.5: 576, Qwen2-VL at ~1 MP: ~1,300),
/// rounded up so the window is rather too small than too large.
pub const IMAGE_TOKEN_ESTIMATE: u64 = 768;

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A text or code file; its text is also in the message.
    Text,
    /// A PNG, JPEG, WebP or GIF image, sent to models that take images.
    Image,
}

impl AttachmentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "image" => Self::Image,
            _ => Self::Text,
        }
    }
}

/// An attachment of a stored message, without its bytes (those are read when shown or sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Attachment {
    pub id: i64,
    /// The file's name as it was attached (no folders).
    pub name: String,
    pub kind: AttachmentKind,
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// The SHA-256 of the bytes, lower-case hex: the blob's key.
    pub sha256: String,
}

/// A file as a front end read it: its name and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Upload {
    /// Reads the file at `path` (refusing one over the image limit without reading it whole).
    pub fn read(path: &std::path::Path) -> Result<Self, AttachError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let io = |err: std::io::Error| AttachError::Unreadable {
            name: path.display().to_string(),
            cause: err.to_string(),
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_IMAGE_BYTES as u64 {
            return Err(AttachError::TooLarge {
                name,
                size,
                limit: MAX_IMAGE_BYTES as u64,
                what: "a file",
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        Ok(Self { name, bytes })
    }
}

/// A checked file, ready to store: its kind, type and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub name: String,
    pub kind: AttachmentKind,
    pub mime: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

impl Prepared {
    /// The image as a `data:` URL, as it is sent and shown.
    pub fn data_url(&self) -> String {
        data_url(&self.mime, &self.bytes)
    }
}

/// Why a file cannot be attached. Each names the file, says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error(
        "{name} is {}, and {what} can be at most {}: attach a smaller one, or paste the part \
         that matters",
        human_size(*size),
        human_size(*limit)
    )]
    TooLarge {
        name: String,
        size: u64,
        limit: u64,
        what: &'static str,
    },
    #[error(
        "{name} is neither a text file (it is not UTF-8 text) nor a PNG, JPEG, WebP or GIF \
         image: only those can be attached — save it as one of them first"
    )]
    Unsupported { name: String },
    #[error("{name} could not be read ({cause}): check that the file exists and you may read it")]
    Unreadable { name: String, cause: String },
    #[error("a message can carry at most {MAX_ATTACHMENTS} files: send the others in a next one")]
    TooMany,
    #[error("{model} does not take images ({why}): remove {names} or choose a vision model{hint}")]
    NoVision {
        model: String,
        why: String,
        names: String,
        hint: &'static str,
    },
}

impl Coded for AttachError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge { .. } => ErrorCode::TooLarge,
            Self::Unsupported { .. } => ErrorCode::UnsupportedFile,
            Self::Unreadable { .. } => ErrorCode::Io,
            Self::TooMany => ErrorCode::InvalidInput,
            Self::NoVision { .. } => ErrorCode::NoVision,
        }
    }
}

/// `n` bytes as a person reads them (KiB and MiB as the limits are set).
pub fn human_size(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// The image type of `bytes` among those models take (PNG, JPEG, WebP, GIF), by their first bytes.
/// An animated GIF is kept as its first frame ([`prepare`]), the one image a model sees.
pub fn image_mime(bytes: &[u8]) -> Option<&'static str> {
    crate::links::image_type(bytes).filter(|mime| *mime != "image/bmp")
}

/// The SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `bytes` as a `data:` URL.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Checks a file and tells what it is: an image by its magic bytes, else UTF-8 text without NUL
/// bytes, else refused. Each kind has its size limit (on the file as attached). An animated GIF
/// is kept as its first frame: what the servers decode, so what is stored, shown and sent is the
/// image the model sees.
pub fn prepare(upload: Upload) -> Result<Prepared, AttachError> {
    let Upload { name, mut bytes } = upload;
    let name = base_name(&name);
    let size = bytes.len() as u64;
    let (kind, mime, limit, what) = match image_mime(&bytes) {
        Some(mime) => (AttachmentKind::Image, mime, MAX_IMAGE_BYTES, "an image"),
        None => {
            if bytes.contains(&0) || std::str::from_utf8(&bytes).is_err() {
                return Err(AttachError::Unsupported { name });
            }
            (
                AttachmentKind::Text,
                "text/plain; charset=utf-8",
                MAX_TEXT_BYTES,
                "a text file",
            )
        }
    };
    if bytes.len() > limit {
        return Err(AttachError::TooLarge {
            name,
            size,
            limit: limit as u64,
            what,
        });
    }
    if mime == "image/gif" {
        if let Some(first) = gif::first_frame(&bytes) {
            bytes = first;
        }
    }
    Ok(Prepared {
        name,
        kind,
        mime: mime.to_owned(),
        sha256: sha256_hex(&bytes),
        bytes,
    })
}

/// Checks every file of one message (and how many there are).
pub fn prepare_all(uploads: Vec<Upload>) -> Result<Vec<Prepared>, AttachError> {
    if uploads.len() > MAX_ATTACHMENTS {
        return Err(AttachError::TooMany);
    }
    uploads.into_iter().map(prepare).collect()
}

/// The name without any folders (a dropped path, a name a front end passed as is).
fn base_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    if base.is_empty() {
        "file".to_owned()
    } else {
        base.to_owned()
    }
}

/// The message's text as stored and sent: what the user typed, then each text file fenced under
/// its name. The fence is longer than any run of backticks in the file, so the file cannot close
/// it early.
pub fn compose(text: &str, files: &[Prepared]) -> String {
    compose_texts(
        text,
        files
            .iter()
            .filter(|f| f.kind == AttachmentKind::Text)
            .map(|f| (f.name.as_str(), f.bytes.as_slice())),
    )
}

/// [`compose`] from the text files' names and bytes (a stored message's, read back).
pub fn compose_texts<'a>(
    text: &str,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> String {
    let mut out = text.trim_end().to_owned();
    for (name, bytes) in files {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&fenced(name, bytes));
    }
    out
}

/// One text file as the message carries it: its name, then its text in a fence.
fn fenced(name: &str, bytes: &[u8]) -> String {
    let body = String::from_utf8_lossy(bytes);
    let body = body.strip_prefix('\u{feff}').unwrap_or(&body);
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    format!(
        "File: {name}\n{fence}{}\n{}\n{fence}",
        language_of(name),
        body.trim_end_matches(['\n', '\r'])
    )
}

/// What the user wrote of `content`, a message composed from it and its text `files` (names and
/// bytes, in order): `content` without the files fenced after it. `None` when the message has no
/// text files, or its content is not what [`compose`] would have made of them.
pub fn written_part<'a, 'f>(
    content: &'a str,
    files: impl IntoIterator<Item = (&'f str, &'f [u8])>,
) -> Option<&'a str> {
    let blocks: Vec<String> = files
        .into_iter()
        .map(|(name, bytes)| fenced(name, bytes))
        .collect();
    if blocks.is_empty() {
        return None;
    }
    let blocks = blocks.join("\n\n");
    if content == blocks {
        return Some("");
    }
    content.strip_suffix(&blocks)?.strip_suffix("\n\n")
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// The fence's language, from the file's extension, for the common ones (highlighting only; an
/// unknown extension gets a plain fence).
fn language_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("rs") => "rust",
        Some("py") => "python",
        Some("js" | "mjs" | "cjs") => "javascript",
        Some("ts" | "mts") => "typescript",
        Some("tsx") => "tsx",
        Some("jsx") => "jsx",
        Some("svelte") => "svelte",
        Some("go") => "go",
        Some("c" | "h") => "c",
        Some("cpp" | "cc" | "hpp" | "cxx") => "cpp",
        Some("java") => "java",
        Some("kt") => "kotlin",
        Some("rb") => "ruby",
        Some("sh" | "bash") => "bash",
        Some("json") => "json",
        Some("toml") => "toml",
        Some("yaml" | "yml") => "yaml",
        Some("md" | "markdown") => "markdown",
        Some("html" | "htm") => "html",
        Some("css") => "css",
        Some("sql") => "sql",
        Some("xml") => "xml",
        Some("csv") => "csv",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

    #[test]
    fn images_are_told_by_their_bytes_not_their_names() {
        let png_named_txt = prepare(upload("notes.txt", PNG)).unwrap();
        assert_eq!(png_named_txt.kind, AttachmentKind::Image);
        assert_eq!(png_named_txt.mime, "image/png");
        for (bytes, mime) in [
            (&b"\xff\xd8\xff\xe0\0\x10JFIF\0"[..], "image/jpeg"),
            (b"GIF89a\x01\0\x01\0\0\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 \0\0", "image/webp"),
        ] {
            let p = prepare(upload("x.bin", bytes)).unwrap();
            assert_eq!((p.kind, p.mime.as_str()), (AttachmentKind::Image, mime));
        }
        // Text that only claims to be an image by its name stays text.
        let fake = prepare(upload("photo.png", b"just words")).unwrap();
        assert_eq!(fake.kind, AttachmentKind::Text);
        // BMP is not one models take: it is binary, so refused.
        let bmp = prepare(upload("a.bmp", b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0")).unwrap_err();
        assert_eq!(bmp.code(), ErrorCode::UnsupportedFile);
    }

    #[test]
    fn an_animated_gif_is_kept_as_its_first_frame() {
        let header = b"GIF89a\x01\0\x01\0\0\0\0";
        let frame =
            |fill: u8| [&b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44"[..], &[fill, 0]].concat();
        let animated = [&header[..], &frame(1), &frame(2), b";"].concat();
        let p = prepare(upload("dance.gif", &animated)).unwrap();
        let first = [&header[..], &frame(1), b";"].concat();
        assert_eq!((p.mime.as_str(), &p.bytes), ("image/gif", &first));
        assert_eq!(p.sha256, sha256_hex(&first));
        // A still GIF is kept byte for byte.
        assert_eq!(prepare(upload("still.gif", &first)).unwrap().bytes, first);
    }

    #[test]
    fn binary_and_non_utf8_files_are_refused_by_name() {
        for bytes in [&b"\x7fELF\x02\x01\x01\0\0\0"[..], b"caf\xe9 latin-1"] {
            let err = prepare(upload("/home/me/prog", bytes)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::UnsupportedFile);
            let text = err.to_string();
            assert!(text.starts_with("prog is neither a text file"), "{text}");
        }
    }

    #[test]
    fn each_kind_has_its_size_limit() {
        let text = vec![b'a'; MAX_TEXT_BYTES + 1];
        assert!(prepare(upload("edge.log", &text)).is_err());
        let err = prepare(upload("big.log", &[b'a'; 600 * 1024])).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TooLarge);
        assert_eq!(
            err.to_string(),
            "big.log is 600.0 KiB, and a text file can be at most 512.0 KiB: attach a smaller \
             one, or paste the part that matters"
        );
        assert!(prepare(upload("ok.log", &text[..MAX_TEXT_BYTES])).is_ok());
        // An image may be larger than a text file, up to its own limit.
        let mut image = PNG.to_vec();
        image.resize(MAX_TEXT_BYTES * 4, 0);
        assert!(prepare(upload("big.png", &image)).is_ok());
        image.resize(MAX_IMAGE_BYTES + 1, 0);
        let err = prepare(upload("huge.png", &image)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("huge.png is 10.0 MiB, and an image can be at most 10.0 MiB"),
            "{err}"
        );
        let many = (0..=MAX_ATTACHMENTS).map(|i| upload(&format!("{i}.txt"), b"x"));
        assert!(matches!(
            prepare_all(many.collect()),
            Err(AttachError::TooMany)
        ));
    }

    #[test]
    fn text_files_are_fenced_under_their_names() {
        let files = prepare_all(vec![
            upload("src/main.rs", b"fn main() {}\n"),
            upload("README", b"has ``` inside\n"),
            upload("pic.png", PNG),
        ])
        .unwrap();
        assert_eq!(files[0].name, "main.rs");
        assert_eq!(
            compose("What does this do?\n", &files),
            "What does this do?\n\nFile: main.rs\n```rust\nfn main() {}\n```\n\n\
             File: README\n````\nhas ``` inside\n````"
        );
        assert_eq!(
            compose("", &files[..1]),
            "File: main.rs\n```rust\nfn main() {}\n```"
        );
    }

    #[test]
    fn what_the_user_wrote_is_told_from_the_files_fenced_after_it() {
        let files = prepare_all(vec![
            upload("main.rs", b"fn main() {}\n"),
            upload("README", b"has ``` inside\n"),
        ])
        .unwrap();
        let texts = || files.iter().map(|f| (f.name.as_str(), f.bytes.as_slice()));
        for typed in [
            "What does this do?",
            "",
            "Two\n\nparagraphs, and File: main.rs",
        ] {
            let content = compose(typed, &files);
            assert_eq!(written_part(&content, texts()), Some(typed), "{typed:?}");
        }
        assert_eq!(
            written_part("What does this do?", texts()),
            None,
            "no files in it"
        );
        assert_eq!(
            written_part("anything", std::iter::empty()),
            None,
            "no files at all"
        );
        let edited = compose("Before", &files).replace("fn main", "fn other");
        assert_eq!(
            written_part(&edited, texts()),
            None,
            "not what the files make"
        );
    }

    #[test]
    fn the_same_bytes_have_the_same_key() {
        let a = prepare(upload("a.png", PNG)).unwrap();
        let b = prepare(upload("b.png", PNG)).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256.len(), 64);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(a
            .data_url()
            .starts_with("data:image/png;base64,iVBORw0KGgo"));
    }
}
