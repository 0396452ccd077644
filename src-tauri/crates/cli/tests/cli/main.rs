//! The CLI's integration tests, one binary with a module per command: each runs the real
//! `confab-cli` on a temp data directory, through the runner of `confab-test-support`.

mod attach;
mod chat;
mod context;
mod damage;
mod db;
mod ls;
mod open;
mod projects;
mod search;
mod tools;
mod transfer;

use std::path::Path;

use confab_test_support::cli::Cli;

/// The `confab-cli` Cargo built for these tests, run on `data_dir`.
fn confab_cli(data_dir: &Path) -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_confab-cli"), data_dir)
}

/// Runs `confab-cli args` on `data_dir`, pointed at a port nothing listens on (these commands need
/// no server): whether it succeeded, stdout and stderr.
fn cli(data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = confab_cli(data_dir)
        .endpoint("http://127.0.0.1:9")
        .run(args)
        .expect("run confab-cli");
    (out.success(), out.stdout, out.stderr)
}
