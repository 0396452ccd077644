#!/usr/bin/env bash
# Builds Confab's Linux packages with Tauri's own bundler: a .deb and an .rpm, each with the app,
# confab-cli in /usr/bin, a desktop entry, the icon at every hicolor size, the AppStream metainfo
# (its release notes from CHANGELOG.md), the man pages confab(1) and confab-cli(1), and
# confab-cli's completions for bash, zsh and fish. `make package` builds release packages; `--debug` packages the debug build the
# end-to-end tests use (the CI package test), without compiling anything again.
#
# The bundler is the Tauri CLI from npm (@tauri-apps/cli, a dev-dependency of ui/): `npm ci`
# installs its prebuilt binary in seconds, where `cargo install tauri-cli` compiles for minutes.
# AppImage is left out: its bundler downloads tools from outside the package registries.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

profile=release
[ "${1:-}" = "--debug" ] && profile=debug

cd "$ROOT"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
out="$target_dir/$profile"

if [ "$profile" = release ]; then
  trap step_times EXIT
  step "Installing what is missing"
  ensure_toolchains
  ensure_apt_packages "${APP_PACKAGES[@]}"
  ensure_ui_dependencies
  build_ui
  step "cargo build --release: the app and confab-cli"
  cargo build --release --locked -p confab -p confab-cli
fi
for bin in confab confab-cli; do
  [ -x "$out/$bin" ] || die "$out/$bin is missing: build it first"
done

step "Bundling the .deb and the .rpm ($profile)"
version="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "confab"))')"
generated="$out/packaging"
rm -rf "$generated"
mkdir -p "$generated"
# The metainfo's releases come from CHANGELOG.md, which must have this version's section.
python3 scripts/metainfo.py src-tauri/packaging/linux/app.confab.desktop.metainfo.xml.in \
  "$version" "$CONFAB_HOMEPAGE" >"$generated/app.confab.desktop.metainfo.xml"
# The man pages and shell completions, from the definitions in the confab-cli just built.
"$out/confab-cli" generate man | gzip -9n >"$generated/confab-cli.1.gz"
"$out/confab-cli" generate app-man | gzip -9n >"$generated/confab.1.gz"
for shell in bash zsh fish; do
  "$out/confab-cli" completions "$shell" >"$generated/confab-cli.$shell"
done
# The same files in both packages, but for zsh's folder: Debian's zsh reads vendor-completions,
# Fedora's site-functions.
files() {
  cat <<JSON
{
  "/usr/bin/confab-cli": "$out/confab-cli",
  "/usr/share/metainfo/app.confab.desktop.metainfo.xml": "$generated/app.confab.desktop.metainfo.xml",
  "/usr/share/man/man1/confab.1.gz": "$generated/confab.1.gz",
  "/usr/share/man/man1/confab-cli.1.gz": "$generated/confab-cli.1.gz",
  "/usr/share/bash-completion/completions/confab-cli": "$generated/confab-cli.bash",
  "$1/_confab-cli": "$generated/confab-cli.zsh",
  "/usr/share/fish/vendor_completions.d/confab-cli.fish": "$generated/confab-cli.fish"
}
JSON
}
cat >"$generated/bundle.json" <<JSON
{"bundle": {"linux": {
  "deb": {"files": $(files /usr/share/zsh/vendor-completions)},
  "rpm": {"files": $(files /usr/share/zsh/site-functions)}
}}}
JSON

debug_flag=()
[ "$profile" = debug ] && debug_flag=(--debug)
rm -rf "$out/bundle/deb" "$out/bundle/rpm"
(cd src-tauri && "$ROOT/ui/node_modules/.bin/tauri" bundle "${debug_flag[@]}" --ci \
  --bundles deb,rpm --config "$generated/bundle.json")

DEB="$(ls "$out"/bundle/deb/*.deb)"
RPM="$(ls "$out"/bundle/rpm/*.rpm)"
export DEB RPM
printf '\nPackages:\n  %s\n  %s\n' "$DEB" "$RPM"
