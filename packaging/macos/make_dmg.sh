#!/usr/bin/env bash
# Pack the CellCounter app bundle into a compressed, verified disk image with a
# drag-to-Applications link (macOS only: needs hdiutil).
#
#   packaging/macos/make_dmg.sh [APP] [DMG]
#   packaging/macos/make_dmg.sh dist/CellCounter.app dist/CellCounter.dmg      (the defaults)
#
# Build the app first: pyinstaller --noconfirm --distpath dist --workpath build/pyinstaller packaging/cellcounter.spec
# Signing and notarisation, when an identity is available, happen before this
# script (the app) and after it (the image): see packaging/README.md.
set -euo pipefail

app=${1:-dist/CellCounter.app}
dmg=${2:-dist/CellCounter.dmg}

if [[ "$(uname -s)" != Darwin ]]; then
    echo "make_dmg.sh: disk images are made with hdiutil, which only exists on macOS" >&2
    exit 2
fi
if [[ ! -d "$app" || "$app" != *.app ]]; then
    echo "make_dmg.sh: $app: no such app bundle; build it first (pyinstaller packaging/cellcounter.spec)" >&2
    exit 2
fi
if [[ "$dmg" != *.dmg ]]; then
    echo "make_dmg.sh: $dmg: the image name must end in .dmg" >&2
    exit 2
fi

name=$(basename "$app" .app)
stage=$(mktemp -d)
partial="${dmg%.dmg}.partial.dmg"
trap 'rm -rf "$stage" "$partial"' EXIT

ditto "$app" "$stage/$name.app"
ln -s /Applications "$stage/Applications"
mkdir -p "$(dirname "$dmg")"

# hdiutil sometimes reports "Resource busy" on CI machines; a retry is enough.
for attempt in 1 2 3; do
    if hdiutil create -volname "$name" -srcfolder "$stage" -fs HFS+ -format UDZO \
        -imagekey zlib-level=9 -ov "$partial"; then
        break
    fi
    if [[ $attempt == 3 ]]; then
        echo "make_dmg.sh: hdiutil create failed three times" >&2
        exit 1
    fi
    sleep 5
done
hdiutil verify "$partial"
mv -f "$partial" "$dmg"
echo "wrote $dmg ($(du -h "$dmg" | cut -f1))"
