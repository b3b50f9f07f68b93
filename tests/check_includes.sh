#!/usr/bin/env bash
# Checks the one-way include rules of tests/include_rules.txt on the #include lines of every source
# file (.h, .cc, .hpp, .cpp, .in) under the table's folders. Generated headers count: they are
# named by their kind (config-protos, rpc-protos, gRPC). A folder missing from the tree is skipped.
#
#   check_includes.sh [ROOT]                        check ROOT (default .); exit 1 on a violation,
#                                                   one line each: file:line, the include, the row
#   check_includes.sh --print [ROOT]                print the table as markdown
#   check_includes.sh --check-docs ROOT FILE...     each FILE's copy of the table, between the lines
#                                                   <!-- include-rules:begin --> and
#                                                   <!-- include-rules:end -->, equals --print
#   check_includes.sh --write-docs ROOT FILE...     replaces each FILE's copy with --print's output
set -u

mode=check
case "${1:-}" in
  --print) mode=print; shift ;;
  --check-docs) mode=docs; shift ;;
  --write-docs) mode=write; shift ;;
esac
root=${1:-.}
[ $# -gt 0 ] && shift
cd "$root" || exit 2
table=tests/include_rules.txt
if [ ! -r "$table" ]; then
  echo "check_includes: no table $root/$table" >&2
  exit 2
fi

# The table as markdown: the rows, then the header kinds they name.
print_table() {
  awk -F';' '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    function words(s,   n, a, i, out) {
      n = split(trim(s), a, /[ \t]+/); out = ""
      for (i = 1; i <= n; i++) out = out (i > 1 ? ", " : "") (a[i] == "-" ? "(none)" : "`" a[i] "`")
      return out
    }
    /^rule / { sub(/^rule[ \t]+/, "", $1)
               rows = rows "| `" trim($1) "` | " words($2) " | " words($3) " |\n" }
    /^kind / { sub(/^kind[ \t]+/, "", $1)
               kinds = kinds "| `" trim($1) "` | " trim($3) " |\n" }
    END {
      printf "| folder | may include these folders (and its own) | and these headers |\n|---|---|---|\n%s", rows
      printf "\n| header kind | what |\n|---|---|\n%s", kinds
    }' "$table"
}

if [ "$mode" = print ]; then
  print_table
  exit 0
fi

if [ "$mode" = write ]; then
  table_text=$(print_table)
  for f in "$@"; do
    TABLE="$table_text" awk '
      /<!-- include-rules:begin -->/ { print; print ENVIRON["TABLE"]; skip = 1; next }
      /<!-- include-rules:end -->/ { skip = 0 }
      !skip { print }' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
  done
  exit 0
fi

if [ "$mode" = docs ]; then
  expected=$(print_table)
  fail=0
  for f in "$@"; do
    copy=$(sed -n '/<!-- include-rules:begin -->/,/<!-- include-rules:end -->/p' "$f" | sed '1d;$d')
    if [ -z "$copy" ]; then
      echo "$f: no include table between <!-- include-rules:begin --> and <!-- include-rules:end -->"
      fail=1
    elif [ "$copy" != "$expected" ]; then
      echo "$f: the include table differs from tests/check_includes.sh --print (paste its output):"
      diff <(echo "$copy") <(echo "$expected") | sed 's/^/  /'
      fail=1
    fi
  done
  [ $fail -eq 0 ] && echo "include tables in $* match $table"
  exit $fail
fi

# Check: every include line of every source file under an existing folder of the table.
folders=$(awk -F';' '/^rule /{ sub(/^rule[ \t]+/, "", $1); gsub(/[ \t]/, "", $1); print $1 }' "$table")
existing=()
for d in $folders; do [ -d "$d" ] && existing+=("$d"); done
if [ ${#existing[@]} -eq 0 ]; then
  echo "check_includes: none of the table's folders exists under $root"
  exit 1
fi
files=$(find "${existing[@]}" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.hpp' \
          -o -name '*.cpp' -o -name '*.in' \) | sort -u)
[ -n "$files" ] || { echo "check_includes: no source files under ${existing[*]}"; exit 1; }

# shellcheck disable=SC2086
grep -HnE '^[[:space:]]*#[[:space:]]*include' $files | awk -F';' -v table="$table" '
  function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
  function owner(path,   f, best) {  # the longest folder of the table holding path
    best = ""
    for (f in allowed) if (index(path, f "/") == 1 && length(f) > length(best)) best = f
    return best
  }
  FILENAME == table && /^kind / {
    sub(/^kind[ \t]+/, "", $1); nkind++; kind_name[nkind] = trim($1); kind_re[nkind] = trim($2)
    next
  }
  FILENAME == table && /^rule / {
    sub(/^rule[ \t]+/, "", $1); f = trim($1)
    allowed[f] = " " f " " trim($2) " " trim($3) " "
    next
  }
  FILENAME == table { next }
  {
    line = $0; scanned++
    p = index(line, ":"); file = substr(line, 1, p - 1); line = substr(line, p + 1)
    p = index(line, ":"); lineno = substr(line, 1, p - 1); text = substr(line, p + 1)
    sub(/^[ \t]*#[ \t]*include[ \t]*/, "", text)
    row = owner(file)
    if (!match(text, /^(<[^>]*>|"[^"]*")/)) {
      printf "%s:%s: cannot read the include %s\n", file, lineno, text; bad++; next
    }
    inc = substr(text, 1, RLENGTH); what = ""
    # A kind may name project headers too (the internal headers of a folder): kinds go first.
    for (k = 1; k <= nkind; k++) if (inc ~ kind_re[k]) { what = kind_name[k]; break }
    if (what == "" && substr(inc, 1, 1) == "\"") {
      what = owner(substr(inc, 2, length(inc) - 2))
      if (what == "" && inc ~ /^"(sim|kernels|tests|bench|proto)\//) {
        printf "%s:%s: %s is in no folder of %s\n", file, lineno, inc, table; bad++; next
      }
    }
    if (what == "")
      for (k = 1; k <= nkind; k++) if (inc ~ kind_re[k]) { what = kind_name[k]; break }
    if (what == "") {
      printf "%s:%s: %s matches no header kind of %s\n", file, lineno, inc, table; bad++; next
    }
    if (index(allowed[row], " " what " ") == 0) {
      printf "%s:%s: %s is %s, which the row of %s does not allow (%s)\n", file, lineno, inc,
             what, row, table
      bad++
    }
  }
  END {
    if (scanned == 0) { print "check_includes: found no #include lines"; exit 1 }
    if (bad > 0) { printf "include rules broken: %d include(s)\n", bad; exit 1 }
    printf "include rules hold (%d includes)\n", scanned
  }' "$table" -
