//! The environment variables a person may set, with what each does.
//!
//! One list, printed by the app's `--help`, by both man pages and by `docs/cli.md`, so what they
//! say cannot drift from what the code reads: a unit test below finds every `CONFAB_` name the
//! code reads and checks that it is listed here (or is one of the tests' own hooks).

use crate::llm::discovery::PROBE_PORTS_ENV;
use crate::paths::DATA_DIR_ENV;
use crate::secrets::API_KEY_ENV;
use crate::server::ENDPOINT_ENV;

/// Read by the app and `confab-cli` to choose what their log shows (an `EnvFilter`, e.g. `debug`).
pub const LOG_ENV: &str = "CONFAB_LOG";

/// An environment variable and what setting it does. The desktop app and `confab-cli` read
/// every one alike.
#[derive(Debug, Clone, Copy)]
pub struct Variable {
    pub name: &'static str,
    /// What it does, as one or two sentences.
    pub meaning: &'static str,
}

/// Every variable a person may set, in the order the help texts list them.
pub const VARIABLES: [Variable; 5] = [
    Variable {
        name: DATA_DIR_ENV,
        meaning: "The data directory, where confab.db and its backups/ live, instead of the \
                  platform's (~/.local/share/app.confab.desktop on Linux).",
    },
    Variable {
        name: ENDPOINT_ENV,
        meaning:
            "The OpenAI-compatible server to talk to (e.g. http://localhost:8080), instead of \
                  the saved one; confab-cli's --endpoint still wins.",
    },
    Variable {
        name: API_KEY_ENV,
        meaning: "The API key to send, instead of the one kept in the system keyring for the \
                  server.",
    },
    Variable {
        name: LOG_ENV,
        meaning: "What the log on standard error shows: error, warn, info, debug or trace, or a \
                  filter such as confab_core=debug. confab-cli logs nothing unless it is set.",
    },
    Variable {
        name: PROBE_PORTS_ENV,
        meaning: "The local ports to look for model servers on, comma-separated (default \
                  1234,8080,11434,8000,1337: LM Studio, llama.cpp, Ollama, vLLM, Jan).",
    },
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    /// Names only the tests, the benchmarks and the end-to-end harness read.
    fn test_only(name: &str) -> bool {
        name.starts_with("CONFAB_TEST_")
            || name.starts_with("CONFAB_BENCH")
            || ["CONFAB_BLESS", "CONFAB_LLAMA_PYTHON"].contains(&name)
    }

    /// Every `"CONFAB_…"` string literal in the Rust sources of the core, the CLI and the shell.
    fn names_in(dir: &Path, found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                names_in(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices("\"CONFAB_") {
                    let name: String = text[at + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    // Not a name: this test's own `"CONFAB_` prefix.
                    if !name.ends_with('_') {
                        found.insert(name);
                    }
                }
            }
        }
    }

    #[test]
    fn every_variable_the_code_reads_is_listed() {
        let core = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = BTreeSet::new();
        for dir in ["src", "../cli/src", "../../src"] {
            names_in(&core.join(dir), &mut found);
        }
        assert!(
            found.contains(DATA_DIR_ENV),
            "the scan found nothing: {found:?}"
        );
        let listed: BTreeSet<&str> = VARIABLES.iter().map(|v| v.name).collect();
        let missing: Vec<&String> = found
            .iter()
            .filter(|name| !test_only(name) && !listed.contains(name.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "read by the code but not in environment::VARIABLES: {missing:?}"
        );
    }
}
