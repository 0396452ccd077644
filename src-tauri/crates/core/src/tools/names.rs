//! The names a model calls tools by: `server__tool`, made of the characters every
//! OpenAI-compatible server accepts (`[A-Za-z0-9_-]`), at most 64 long, and unique within a
//! request even when two servers' names differ only in characters that had to go.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

/// The longest function name OpenAI's API (and llama.cpp's templates) accept.
pub const MAX_FUNCTION_NAME: usize = 64;

/// One name per `(server, tool)` pair, in the same order. Readable where it can be; where a name
/// is too long, or already taken, its end is a short hash of the pair, so the same pair always
/// gets the same name.
pub fn function_names(pairs: &[(&str, &str)]) -> Vec<String> {
    let mut taken = HashSet::with_capacity(pairs.len());
    pairs
        .iter()
        .map(|(server, tool)| {
            let readable = format!("{}__{}", safe(server), safe(tool));
            let mut name = if readable.len() <= MAX_FUNCTION_NAME {
                readable.clone()
            } else {
                hashed(&readable, server, tool, 0)
            };
            let mut attempt = 0;
            while !taken.insert(name.clone()) {
                attempt += 1;
                name = hashed(&readable, server, tool, attempt);
            }
            name
        })
        .collect()
}

/// `text` with every character outside `[A-Za-z0-9_-]` made `_` (and never empty).
fn safe(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() {
        "_".into()
    } else {
        out
    }
}

/// `readable` cut to leave room for `_` and 8 hex digits of the pair's hash.
fn hashed(readable: &str, server: &str, tool: &str, attempt: u32) -> String {
    let mut hasher = Sha256::new();
    hasher.update(server.as_bytes());
    hasher.update([0]);
    hasher.update(tool.as_bytes());
    hasher.update(attempt.to_le_bytes());
    let digest = hasher.finalize();
    let suffix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let keep = MAX_FUNCTION_NAME - 1 - suffix.len();
    // Only ASCII is left in `readable`, so any byte is a boundary.
    let head = &readable[..readable.len().min(keep)];
    format!("{head}_{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> bool {
        name.len() <= MAX_FUNCTION_NAME
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    #[test]
    fn readable_when_short_and_safe_always() {
        let names = function_names(&[("files", "read_file"), ("my server", "ls.all")]);
        assert_eq!(names, ["files__read_file", "my_server__ls_all"]);
    }

    #[test]
    fn long_and_colliding_names_stay_unique_and_short() {
        let long = "a".repeat(80);
        let names = function_names(&[
            ("my server", "x"),
            ("my.server", "x"),
            (&long, "tool"),
            (&long, "tool2"),
            ("サーバー", "道具"),
        ]);
        assert!(names.iter().all(|n| ok(n)), "{names:?}");
        let unique: HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert_eq!(names[0], "my_server__x");
        assert!(names[1].starts_with("my_server__x_"));
        // The same pairs always get the same names.
        assert_eq!(
            names,
            function_names(&[
                ("my server", "x"),
                ("my.server", "x"),
                (&long, "tool"),
                (&long, "tool2"),
                ("サーバー", "道具"),
            ])
        );
    }
}
