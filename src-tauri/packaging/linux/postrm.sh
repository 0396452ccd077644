#!/bin/sh
# Removing Confab never touches anyone's chats: say where they are. ($1 is "remove" or "purge"
# from dpkg, 0 from rpm when the package is erased rather than upgraded.)
set -e
case "$1" in
  remove|purge|0)
    echo "Confab was removed. Each user's chats are kept in ~/.local/share/app.confab.desktop"
    echo "(confab.db and its snapshots in backups/): delete that folder to remove them too."
    ;;
esac
exit 0
