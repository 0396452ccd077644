#!/usr/bin/env bash
# Installs what is missing, then runs every check and test: formatting, the docs' links, lints, the UI's type checks
# and unit tests, the core and CLI tests, the end-to-end tests of the real window under Xvfb, and
# the .deb/.rpm packages of the same build (installed, run and removed).
#
# The dependency graph is compiled once. Every cargo step selects the same packages (the whole
# workspace) with the tests' dev-dependencies, so Cargo resolves the same features each time
# (selecting packages with `-p`/`--exclude`, or building without the tests, resolves others and
# compiles much of the graph again). Clippy lints the workspace's own crates while they are compiled
# for real (clippy-driver as the workspace's compiler wrapper, with the arguments `cargo clippy`
# would pass it), instead of in a separate check pass over the whole graph; every cargo step runs
# with the same wrapper, so the test steps reuse what the build made.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
trap step_times EXIT

step "Installing what is missing"
ensure_toolchains
ensure_apt_packages "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PACKAGE_TEST_PACKAGES[@]}"
ensure_ui_dependencies
ensure_mcp_test_servers
ensure_tauri_driver
ensure_llama_venv
ensure_litellm
cd "$ROOT"

step "cargo fmt --check"
cargo fmt --all --check

step "Docs: every relative link and image exists, the README is short, the changelog has this version"
python3 scripts/check-docs.py

step "UI: type check and unit tests"
(cd ui && npm run --silent check && npm run --silent test)
# The app embeds ui/dist at compile time, so the UI is built before any cargo build of the app.
build_ui

step "cargo build + clippy -D warnings: every crate and target (the app, the CLI, every test binary)"
use_clippy_as_compiler
cargo build --workspace --all-targets --locked

step "Core, CLI and shell tests"
cargo test --workspace --lib --bins --test core --test cli --locked

step "End-to-end tests: the real app (Xvfb + tauri-driver) and a real llama.cpp server"
xvfb-run -a --server-args="-screen 0 1920x1080x24" \
  cargo test --workspace --test e2e --locked -- --test-threads=1

step "Packages: the .deb and .rpm of this same build, validated, installed, run and removed"
scripts/package-test.sh
