#!/usr/bin/env bash
# Installs what is missing, then runs every check and test: formatting, lints, the UI's type checks
# and unit tests, the core and CLI tests, and the end-to-end tests of the real window under Xvfb.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_toolchains
ensure_apt_packages "${APP_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_ui_dependencies
ensure_tauri_driver
ensure_llama_venv
cd "$ROOT"

step "cargo fmt --check"
cargo fmt --all --check

step "UI: type check and unit tests"
(cd ui && npm run --silent check && npm run --silent test)
# The app embeds ui/dist at compile time, so the UI is built before any cargo build of the app.
build_ui

step "cargo clippy (all crates, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Core, CLI and shell tests"
cargo test --workspace --exclude confab-tests --locked

step "End-to-end tests: the real app (Xvfb + tauri-driver) and a real llama.cpp server"
cargo build -p confab -p confab-cli --locked
xvfb-run -a --server-args="-screen 0 1920x1080x24" \
  cargo test -p confab-tests --locked -- --test-threads=1
