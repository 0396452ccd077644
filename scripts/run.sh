#!/usr/bin/env bash
# Installs what is missing, builds Confab and opens its window. When no OpenAI-compatible server
# answers on the usual local ports, starts a small demo server (llama.cpp with SmolLM2-135M) on
# loopback for this session, so the first launch can chat.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_toolchains
ensure_apt_packages "${APP_PACKAGES[@]}" python3-venv
ensure_ui_dependencies
build_ui

cd "$ROOT"
step "Building Confab"
cargo build -p confab --bin confab

if [ -z "${CONFAB_ENDPOINT:-}" ]; then
  for port in 1234 8080 11434 8000 1337; do
    if curl -fsS --max-time 1 "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then
      step "Using the model server at http://127.0.0.1:$port"
      export CONFAB_ENDPOINT="http://127.0.0.1:$port"
      break
    fi
  done
fi
if [ -z "${CONFAB_ENDPOINT:-}" ]; then
  ensure_llama_venv
  step "No model server is running: starting a demo (llama.cpp + SmolLM2-135M) for this session"
  log="$(mktemp)"
  "$ROOT/.venv/bin/python" "$ROOT/scripts/llama_server.py" --n-ctx 4096 >"$log" 2>&1 &
  demo=$!
  trap 'kill $demo 2>/dev/null' EXIT
  for _ in $(seq 1 600); do
    url="$(sed -n 's/^READY //p' "$log")"
    [ -n "$url" ] && break
    kill -0 "$demo" 2>/dev/null || die "the demo server did not start: $(tail -n 5 "$log")"
    sleep 0.1
  done
  [ -n "$url" ] || die "the demo server did not start within a minute"
  export CONFAB_ENDPOINT="$url"
  echo "demo server at $url"
fi

step "Starting Confab"
target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$ROOT/$target"
"$target/debug/confab" "$@"
