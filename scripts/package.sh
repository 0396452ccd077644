#!/usr/bin/env bash
# Builds Confab's Linux packages with Tauri's own bundler: a .deb and an .rpm, each with the app,
# confab-cli in /usr/bin, a desktop entry, the icon at every hicolor size and the AppStream
# metainfo. `make package` builds release packages; `--debug` packages the debug build the
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
mkdir -p "$generated"
# The metainfo's release is this version, dated by the last commit (or today outside git).
date="$(git log -1 --format=%cs 2>/dev/null || date -u +%F)"
sed -e "s|@VERSION@|$version|g" -e "s|@DATE@|$date|g" -e "s|@HOMEPAGE@|$CONFAB_HOMEPAGE|g" \
  src-tauri/packaging/linux/app.confab.desktop.metainfo.xml.in >"$generated/app.confab.desktop.metainfo.xml"
files="{\"/usr/bin/confab-cli\": \"$out/confab-cli\", \"/usr/share/metainfo/app.confab.desktop.metainfo.xml\": \"$generated/app.confab.desktop.metainfo.xml\"}"
echo "{\"bundle\": {\"linux\": {\"deb\": {\"files\": $files}, \"rpm\": {\"files\": $files}}}}" >"$generated/bundle.json"

debug_flag=()
[ "$profile" = debug ] && debug_flag=(--debug)
rm -rf "$out/bundle/deb" "$out/bundle/rpm"
(cd src-tauri && "$ROOT/ui/node_modules/.bin/tauri" bundle "${debug_flag[@]}" --ci \
  --bundles deb,rpm --config "$generated/bundle.json")

DEB="$(ls "$out"/bundle/deb/*.deb)"
RPM="$(ls "$out"/bundle/rpm/*.rpm)"
export DEB RPM
printf '\nPackages:\n  %s\n  %s\n' "$DEB" "$RPM"
