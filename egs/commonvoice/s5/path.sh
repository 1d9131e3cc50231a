# Sourced by run.sh and the scripts under local/: the multilingual recipe's path.sh (the
# toolkit's programs and helpers on PATH, checked), and a check that sox can decode the
# release's mp3 clips.
. "$(dirname "${BASH_SOURCE[0]}")/../../multilang/s5/path.sh" || { return 1 2>/dev/null || exit 1; }
if ! sox -h 2>/dev/null | grep -q 'AUDIO FILE FORMATS:.* mp3'; then
  echo "path.sh: ERROR: sox cannot decode mp3 (Debian package libsox-fmt-mp3); run 'make deps' (as root) in $TOPDIR." >&2
  return 1 2>/dev/null || exit 1
fi
