#!/usr/bin/env bash
# Builds assets/fonts/NotoSansJP-Regular-subset.otf: the Japanese face of Noto Sans CJK, cut down
# to the characters a Japanese UI and Japanese prompts need, so every OS shows them the same way.
#
#   Source:  Debian's `fonts-noto-cjk` (NotoSansCJK-Regular.ttc; the face whose full name is
#            "Noto Sans CJK JP"), installed with apt if missing (needs root or sudo).
#   Tool:    fontTools (pinned) from PyPI, in a virtual environment under /tmp.
#   Subset:  ASCII, Latin-1, general punctuation, CJK symbols and punctuation, kana (with the
#            phonetic extensions), halfwidth/fullwidth forms, all of JIS X 0208 (both kanji
#            levels, taken from Python's EUC-JP codec) and the four Jōyō kanji outside JIS X 0208.
#   Output:  assets/fonts/OFL.txt, the license, from the package's copyright file; and the font:
#            CFF outlines, as in the source (egui 0.37 draws outlines with skrifa, which reads CFF),
#            without hinting and without the vertical-writing tables.
#
# Usage: scripts/subset-font.sh        (from anywhere; writes into the repository's assets/fonts/)
set -euo pipefail

FONTTOOLS_VERSION=4.68.0
SOURCE_PACKAGE=fonts-noto-cjk
SOURCE_TTC=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SOURCE_FACE_NAME="Noto Sans CJK JP"
# The package version and file the committed subset was made from (Debian 12 "bookworm").
EXPECTED_PACKAGE_VERSION=1:20220127+repack1-1
EXPECTED_TTC_SHA256=b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a
VENV=${FONTTOOLS_VENV:-/tmp/nurie-fonttools-venv}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUTPUT="$REPO_ROOT/assets/fonts/NotoSansJP-Regular-subset.otf"
LICENSE_OUTPUT="$REPO_ROOT/assets/fonts/OFL.txt"
DEBIAN_COPYRIGHT=/usr/share/doc/$SOURCE_PACKAGE/copyright

install_source_font() {
  [[ -f "$SOURCE_TTC" ]] && return 0
  echo "subset-font: installing $SOURCE_PACKAGE" >&2
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$SOURCE_PACKAGE" >/dev/null
}

warn_if_source_differs() {
  local version sha
  version=$(dpkg-query -W -f='${Version}' "$SOURCE_PACKAGE" 2>/dev/null || echo unknown)
  sha=$(sha256sum "$SOURCE_TTC" | cut -d' ' -f1)
  echo "subset-font: source $SOURCE_PACKAGE $version, sha256 $sha" >&2
  if [[ "$version" != "$EXPECTED_PACKAGE_VERSION" || "$sha" != "$EXPECTED_TTC_SHA256" ]]; then
    echo "subset-font: WARNING: not the source the committed font was made from" \
      "($EXPECTED_PACKAGE_VERSION, $EXPECTED_TTC_SHA256); the output will differ" >&2
  fi
}

install_fonttools() {
  [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q "fonttools==$FONTTOOLS_VERSION"
}

# Prints the index of the face named "$SOURCE_FACE_NAME" in the collection (name ID 4, full name).
find_face_index() {
  "$VENV/bin/python" - "$SOURCE_TTC" "$SOURCE_FACE_NAME" <<'PY'
import sys
from fontTools.ttLib import TTCollection

path, wanted = sys.argv[1], sys.argv[2]
names = [face["name"].getDebugName(4) for face in TTCollection(path, lazy=True).fonts]
if wanted not in names:
    sys.exit(f"no face named {wanted!r} in {path}: {names}")
print(names.index(wanted))
PY
}

# Writes the code points to keep, one `U+XXXX` per line.
write_charset() {
  "$VENV/bin/python" - <<'PY'
BLOCKS = [
    (0x0020, 0x007E),  # ASCII (printable)
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x2000, 0x206F),  # General Punctuation
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x31F0, 0x31FF),  # Katakana Phonetic Extensions
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
]
# The 2010 Jōyō kanji table prescribes these four forms, which JIS X 0208 lacks (it has only
# 叱 填 剥 頬); every other Jōyō kanji is in JIS X 0208 (Unihan kJoyoKanji, kJis0).
JOYO_OUTSIDE_JIS_X_0208 = "𠮟塡剝頰"


def jis_x_0208() -> set[int]:
    """Every character of JIS X 0208: each two-byte EUC-JP code (rows and cells 0xA1..0xFE)."""
    chars = set()
    for row in range(0xA1, 0xFF):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([row, cell]).decode("euc_jp")))
            except UnicodeDecodeError:
                pass
    return chars


jis = jis_x_0208()
assert len(jis) == 6879, f"JIS X 0208 has 6879 characters, the codec gave {len(jis)}"
joyo_extra = {ord(c) for c in JOYO_OUTSIDE_JIS_X_0208}
assert not joyo_extra & jis, "these Jōyō forms are meant to be the ones JIS X 0208 lacks"

codepoints = set(jis) | joyo_extra
for first, last in BLOCKS:
    codepoints.update(range(first, last + 1))
for cp in sorted(codepoints):
    print(f"U+{cp:04X}")
PY
}

subset() {
  local face_index=$1 charset=$2
  # --no-hinting drops the CFF hints. Of the layout features only those a shaper applies to
  # horizontal text by default stay: `locl` (Chinese and Korean forms), `vert` (vertical forms)
  # and the opt-in ones (`palt`, `jp78`, ...) would double the glyph count. The vertical tables
  # (vhea/vmtx/VORG) and BASE serve vertical and mixed-script baselines, which egui does not do.
  # Name IDs are all kept: they carry the copyright, trademark and OFL notice (IDs 0, 7, 13, 14).
  "$VENV/bin/python" -m fontTools.subset "$SOURCE_TTC" \
    --font-number="$face_index" \
    --unicodes-file="$charset" \
    --no-hinting \
    --layout-features=ccmp,liga,calt,kern \
    --drop-tables+=vhea,vmtx,VORG,BASE \
    --name-IDs='*' \
    --output-file="$OUTPUT"
}

# Fails if a character of JIS X 0208 or the Jōyō table that the source face has did not make it.
check_coverage() {
  local face_index=$1 charset=$2
  "$VENV/bin/python" - "$SOURCE_TTC" "$face_index" "$charset" "$OUTPUT" <<'PY'
import sys
from fontTools.ttLib import TTFont

source_path, face_index, charset_path, output_path = sys.argv[1:]
wanted = {int(line.strip()[2:], 16) for line in open(charset_path) if line.strip()}
source = set(TTFont(source_path, fontNumber=int(face_index), lazy=True).getBestCmap())
output = set(TTFont(output_path, lazy=True).getBestCmap())
lost = (wanted & source) - output
if lost:
    sys.exit(f"subset lost {len(lost)} characters, e.g. {[chr(c) for c in sorted(lost)[:10]]}")
absent = sorted(wanted - source)
print(f"subset-font: {len(output)} characters kept; {len(absent)} asked for are not in the source"
      " (unassigned or not drawn by Noto Sans CJK JP)", file=sys.stderr)
PY
}

# Writes OFL.txt: the font's own copyright, trademark and license notices (name IDs 0, 7, 13),
# then the SIL Open Font License 1.1 exactly as the package ships it in its copyright file.
write_license() {
  "$VENV/bin/python" - "$DEBIAN_COPYRIGHT" "$OUTPUT" >"$LICENSE_OUTPUT" <<'PY'
import sys
from fontTools.ttLib import TTFont

copyright_path, font_path = sys.argv[1:]
# Debian's machine-readable copyright format: a stand-alone "License: SIL-1.1" paragraph whose
# body lines are indented by one space, with " ." standing for an empty line.
paragraphs = open(copyright_path, encoding="utf-8").read().split("\n\n")
license_paragraph = next(p for p in paragraphs if p.startswith("License: SIL-1.1\n "))
body = [line[1:] for line in license_paragraph.splitlines()[1:]]
names = TTFont(font_path, lazy=True)["name"]
print(names.getDebugName(0))
print(names.getDebugName(7))
print()
print(names.getDebugName(13))
print()
print("\n".join("" if line == "." else line for line in body))
PY
}

main() {
  install_source_font
  warn_if_source_differs
  install_fonttools
  local face_index
  face_index=$(find_face_index)
  echo "subset-font: \"$SOURCE_FACE_NAME\" is face $face_index of $SOURCE_TTC" >&2
  CHARSET_FILE=$(mktemp)
  trap 'rm -f "$CHARSET_FILE"' EXIT
  write_charset >"$CHARSET_FILE"
  mkdir -p "$(dirname "$OUTPUT")"
  subset "$face_index" "$CHARSET_FILE"
  check_coverage "$face_index" "$CHARSET_FILE"
  write_license
  echo "subset-font: wrote $OUTPUT ($(stat -c %s "$OUTPUT") bytes, sha256 $(sha256sum "$OUTPUT" | cut -d' ' -f1))" >&2
}

main "$@"
