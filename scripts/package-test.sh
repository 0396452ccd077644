#!/usr/bin/env bash
# The package test, run by scripts/test.sh after the end-to-end tests, on the same debug build:
# bundle the .deb and .rpm, validate the desktop entry and the AppStream metainfo as software
# centres do, install the .deb with apt (and so its declared dependencies), read the man pages
# and complete a command in bash, zsh and fish, run the end-to-end
# smoke test against the installed /usr/bin/confab and confab-cli from the PATH, check that the
# window's WM class is the desktop entry's StartupWMClass, remove the package and check that the
# user's data stays, and read the .rpm back to compare it with the .deb.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

# shellcheck source=scripts/package.sh
source scripts/package.sh --debug
version="$(dpkg-deb -f "$DEB" Version)"
work="$(mktemp -d)"
trap 'rm -rf "$work"; step_times' EXIT
fail() { die "package test: $*"; }

step "Package: desktop entry and AppStream metainfo"
dpkg-deb -x "$DEB" "$work/deb"
desktop="$(ls "$work"/deb/usr/share/applications/*.desktop)"
desktop-file-validate "$desktop"
appstreamcli validate --no-net "$work"/deb/usr/share/metainfo/app.confab.desktop.metainfo.xml
grep -q "release version=\"$version\"" "$work"/deb/usr/share/metainfo/*.xml ||
  fail "the metainfo's release is not $version"
for size in 16 24 32 48 64 128 256 512; do
  [ -f "$work/deb/usr/share/icons/hicolor/${size}x${size}/apps/confab.png" ] || fail "no ${size}px icon"
done

step "Package: the .rpm holds what the .deb holds"
# zsh's completions are the one path meant to differ (Debian's zsh reads vendor-completions).
(cd "$work/deb" && find . -type f | sed -e 's|^\.||' -e 's|/zsh/vendor-completions/|/zsh/site-functions/|' |
  sort) >"$work/deb-files"
rpm -qpl "$RPM" | sort >"$work/rpm-files"
diff -u "$work/deb-files" "$work/rpm-files" || fail "the .rpm's files differ from the .deb's"
# The same dependencies under each distribution's names.
rpm_requires="$(rpm -qpR "$RPM")"
for pair in libwebkit2gtk-4.1-0=libwebkit2gtk-4.1.so.0 libgtk-3-0=libgtk-3.so.0 \
  libsoup-3.0-0=libsoup3 libdbus-1-3=dbus-libs; do
  deb_name="${pair%%=*}" rpm_name="${pair#*=}"
  dpkg-deb -f "$DEB" Depends | tr ',' '\n' | grep -qx " *$deb_name" || fail ".deb does not depend on $deb_name"
  grep -q "^$rpm_name" <<<"$rpm_requires" || fail ".rpm does not require $rpm_name"
done
[ "$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | grep -c .)" -eq 4 ] ||
  fail "the .deb depends on more than was compared: $(dpkg-deb -f "$DEB" Depends)"

step "Package: apt-get install the .deb"
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall "$DEB"
[ "$(command -v confab)" = /usr/bin/confab ] || fail "confab is not /usr/bin/confab"
[ "$(confab --version)" = "confab $version" ] || fail "confab --version: $(confab --version)"
[ "$(confab-cli --version)" = "confab-cli $version" ] || fail "confab-cli --version: $(confab-cli --version)"

step "Package: the man pages and shell completions"
man -w confab confab-cli >/dev/null || fail "man cannot find confab(1) and confab-cli(1)"
man confab-cli 2>/dev/null | grep -q "confab-cli db check" || fail "man confab-cli does not describe db check"
man confab 2>/dev/null | grep -q CONFAB_DATA_DIR || fail "man confab does not name CONFAB_DATA_DIR"
# bash: the completion bash-completion loads on demand offers `export` for `confab-cli ex<Tab>`.
bash_offers="$(bash -c '
  source /usr/share/bash-completion/bash_completion
  if declare -F _comp_load >/dev/null; then _comp_load confab-cli; else _completion_loader confab-cli; fi
  fn="$(complete -p confab-cli | sed -n "s/.*-F \([^ ]*\).*/\1/p")"
  COMP_WORDS=(confab-cli ex); COMP_CWORD=1; COMP_LINE="confab-cli ex"; COMP_POINT=${#COMP_LINE}
  "$fn" confab-cli ex confab-cli
  printf "%s\n" "${COMPREPLY[@]}"')"
grep -qx export <<<"$bash_offers" || fail "bash completes 'confab-cli ex' to: $bash_offers"
fish -c 'complete -C "confab-cli ex"' | grep -q '^export' || fail "fish does not complete confab-cli's commands"
# -D: no dump file. (`-d /dev/null` had zsh replace /dev/null with a regular file holding its dump.)
zsh -fc 'autoload -Uz compinit && compinit -u -D && [[ $_comps[confab-cli] == _confab-cli ]]' ||
  fail "zsh's compinit does not find confab-cli's completion"
[ -c /dev/null ] || fail "the completion checks left /dev/null a regular file"

step "Package: the installed app, end to end"
CONFAB_APP=/usr/bin/confab CONFAB_CLI=/usr/bin/confab-cli xvfb-run -a --server-args="-screen 0 1920x1080x24" \
  cargo test --workspace --test e2e --locked -- --test-threads=1 --exact smoke::a_new_chat_survives_a_restart

# A person's own data directory, as the installed app and CLI find it without CONFAB_DATA_DIR.
home="$work/home"
data="$home/.local/share/app.confab.desktop"
mkdir -p "$home"
wm_class="$(sed -n 's/^StartupWMClass=//p' "$desktop")"
HOME="$home" XDG_DATA_HOME= CONFAB_DATA_DIR= xvfb-run -a bash -c '
  /usr/bin/confab >/dev/null 2>&1 &
  app=$!
  found=$(timeout 60 xdotool search --sync --onlyvisible --class "^$1\$" | head -n1)
  kill "$app"; wait "$app" 2>/dev/null
  [ -n "$found" ]' _ "$wm_class" || fail "no window of class $wm_class: StartupWMClass would not group it"
HOME="$home" XDG_DATA_HOME= CONFAB_DATA_DIR= confab-cli ls >/dev/null
[ -f "$data/confab.db" ] || fail "the installed app and CLI did not use $data"

step "Package: apt-get remove keeps the user's data"
removal="$(as_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q confab)"
printf '%s\n' "$removal"
grep -q "chats are kept in ~/.local/share/app.confab.desktop" <<<"$removal" ||
  fail "removing the package did not say where the chats are"
[ ! -e /usr/bin/confab ] && [ ! -e /usr/bin/confab-cli ] || fail "the binaries are still installed"
[ ! -e /usr/share/man/man1/confab-cli.1.gz ] || fail "the man page is still installed"
[ -f "$data/confab.db" ] || fail "removing the package removed the user's data"
echo "Package test passed: $DEB"
