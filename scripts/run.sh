#!/usr/bin/env bash
# Installs what is missing, builds Confab and opens its window.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_toolchains
ensure_apt_packages "${APP_PACKAGES[@]}"
ensure_ui_dependencies
build_ui

step "Building and starting Confab"
cd "$ROOT"
exec cargo run -p confab --bin confab -- "$@"
