#!/usr/bin/env bash
# Reports C/C++ files that do not follow .clang-format (clang-format-19), one line each with the
# number of lines clang-format would change. Exits 0 unless --strict is given (ctest's
# format-check runs it with --strict), 77 when clang-format-19 is missing. Files matched by
# .clang-format-ignore are skipped.
#
#   scripts/format-check.sh                 every tracked .c/.h/.cpp/.hpp file
#   scripts/format-check.sh PATH...         only these files or directories
#   scripts/format-check.sh --diff PATH...  also print what would change
#   scripts/format-check.sh --strict        exit 1 when a file differs
#   scripts/format-check.sh --fix PATH...   reformat the given files in place
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
clang_format=${CLANG_FORMAT:-clang-format-19}
show_diff=0 strict=0 fix=0
paths=()
for arg in "$@"; do
  case $arg in
    --diff) show_diff=1 ;;
    --strict) strict=1 ;;
    --fix) fix=1 ;;
    -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "format-check: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    *) paths+=("$arg") ;;
  esac
done
command -v "$clang_format" >/dev/null ||
  { echo "format-check: SKIP: $clang_format not found (hint: scripts/install-deps.sh installs it)" >&2; exit 77; }
if [ $fix = 1 ] && [ ${#paths[@]} = 0 ]; then
  echo "format-check: --fix needs the files to reformat (others may be editing the rest)" >&2
  exit 2
fi

cd "$here"
mapfile -t files < <(git ls-files -- "${paths[@]}" | grep -E '\.(c|h|cpp|hpp)$' || true)
differ=0 checked=0
for f in "${files[@]}"; do
  # clang-format prints nothing for a file .clang-format-ignore matches.
  formatted=$("$clang_format" "$f"; echo x)
  formatted=${formatted%x}
  [ -s "$f" ] && [ -z "$formatted" ] && continue
  checked=$((checked + 1))
  changed=$({ diff -U0 "$f" - <<<"${formatted%$'\n'}" || true; } | grep -c '^[-+][^-+]' || true)
  [ "$changed" -gt 0 ] || continue
  differ=$((differ + 1))
  echo "$f: $changed lines differ from .clang-format"
  [ $show_diff = 1 ] && diff -u "$f" - <<<"${formatted%$'\n'}" | sed 1,2d || true
  [ $fix = 1 ] && "$clang_format" -i "$f"
done
echo "format-check: $differ of $checked files differ (clang-format-19, .clang-format)" >&2
[ $strict = 1 ] && [ $differ -gt 0 ] && exit 1
exit 0
