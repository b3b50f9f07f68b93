#!/usr/bin/env bash
# The repository's size and self-containment rules, one line per violation (file:line, what, the
# limit); exit 1 if any is broken. Run by the ctest `lint`.
#
#   scripts/lint.sh [SOURCE_DIR [BUILD_DIR]]     (defaults: the repository holding this script,
#                                                 SOURCE_DIR/build)
#
# 1. No .cc or .h under sim/ and kernels/ is over 400 lines.
# 2. No function in a .cc under sim/ and kernels/ is over 60 lines: clang-tidy's
#    readability-function-size, on BUILD_DIR/compile_commands.json, one file per process in
#    parallel. Flat declaration blocks (flag set-up and the like) are exceptions by name, each with
#    its reason, in scripts/lint_exceptions.txt. A file's result is cached in BUILD_DIR/lint-cache
#    under the hash of its text (a function's size is a property of the file's own lines).
# 3. No tracked file points outside the repository (the design notes and reference files the
#    project was planned from); docs/architecture.md is the repository's own.
set -u

script_dir=$(cd "$(dirname "$0")" && pwd)
max_function_lines=60

# Internal: lint.sh --one FILE prints FILE's functions over the limit, one line each
# (FILE:LINE: function 'NAME' has N lines, over the limit of 60), from the cache when FILE's text
# is unchanged. Run by xargs, in parallel, from the repository's root.
if [ "${1:-}" = --one ]; then
  f=$2
  out=$DISTSIM_LINT_CACHE/$(tr / _ <<<"$f").$(sha256sum <"$f" | cut -c1-32)-$DISTSIM_LINT_KEY
  if [ ! -e "$out" ]; then
    clang-tidy -p "$DISTSIM_LINT_BUILD" --quiet --checks='-*,readability-function-size' \
      --config="{CheckOptions: [{key: readability-function-size.LineThreshold, value: $max_function_lines}]}" \
      "$f" 2>/dev/null | awk -v f="$f" -v limit="$max_function_lines" '
        / warning: function .* exceeds recommended size/ {
          split($0, p, ":"); line = p[2]; name = $0
          sub(/^[^\047]*\047/, "", name); sub(/\047.*/, "", name); next
        }
        / note: [0-9]+ lines including/ && line != "" {
          n = $0; sub(/.* note: /, "", n); sub(/ .*/, "", n)
          printf "%s:%s: function \047%s\047 has %s lines, over the limit of %s\n", f, line, name, n, limit
          line = ""
        }
        # A missing header stops the parse (no function is seen): a failure. Other errors of
        # clang (which is not the compiler of record) leave the function bodies measured.
        / error: .* file not found/ {
          e = $0; sub(/^.* error: /, "", e)
          printf "%s:1: clang-tidy cannot parse the file (%s): build the project first\n", f, e
          exit
        }' >"$out.$$"
    if grep -q 'cannot parse' "$out.$$"; then  # not cached: the next build may fix it
      cat "$out.$$"
      rm -f "$out.$$"
      exit 0
    fi
    mv "$out.$$" "$out"
  fi
  cat "$out"
  exit 0
fi

src=$(cd "${1:-$script_dir/..}" && pwd) || exit 2
build=${2:-$src/build}
max_file_lines=400
exceptions=$src/scripts/lint_exceptions.txt
start=$(date +%s)
fail=0

cd "$src" || exit 2
sources=$(find sim kernels -type f \( -name '*.cc' -o -name '*.h' \) | sort)

# 1. File sizes.
for f in $sources; do
  n=$(wc -l <"$f")
  if [ "$n" -gt "$max_file_lines" ]; then
    echo "$f:$((max_file_lines + 1)): file has $n lines, over the limit of $max_file_lines"
    fail=1
  fi
done

# 2. Function sizes.
if ! command -v clang-tidy >/dev/null 2>&1; then
  echo "lint: clang-tidy is not installed: install the Debian package clang-tidy" \
       "(scripts/bootstrap.sh does)"
  fail=1
elif [ ! -r "$build/compile_commands.json" ]; then
  echo "lint: no $build/compile_commands.json: configure the build first" \
       "(cmake -S . -B build; CMAKE_EXPORT_COMPILE_COMMANDS is on)"
  fail=1
else
  cache=$build/lint-cache
  mkdir -p "$cache"
  tidy_version=$(clang-tidy --version | tr -d '\n' | sha256sum | cut -c1-16)
  export DISTSIM_LINT_BUILD=$build DISTSIM_LINT_CACHE=$cache
  export DISTSIM_LINT_KEY=$tidy_version-$max_function_lines
  findings=$(grep '\.cc$' <<<"$sources" | xargs -P "$(nproc)" -n 1 "$script_dir/lint.sh" --one |
             sort -t: -k1,1 -k2,2n)
  # Drop the named exceptions: lines "FILE FUNCTION reason..." of the exceptions file.
  while IFS= read -r finding; do
    [ -n "$finding" ] || continue
    file=${finding%%:*}
    name=$(sed -n "s/^[^']*'\([^']*\)'.*/\1/p" <<<"$finding")
    if [ -r "$exceptions" ] && grep -qE "^$file[[:space:]]+$name([[:space:]]|$)" "$exceptions"; then
      continue
    fi
    echo "$finding"
    fail=1
  done <<<"$findings"
  # An exception whose function is no longer over the limit should go.
  if [ -r "$exceptions" ]; then
    n=0
    while read -r file name reason; do
      n=$((n + 1))
      case "$file" in '' | '#'*) continue ;; esac
      if [ -z "$reason" ]; then
        echo "scripts/lint_exceptions.txt:$n: $file $name has no reason: say why it is flat"
        fail=1
      fi
      if ! grep -qE "^$file:[0-9]+: function '$name' " <<<"$findings"; then
        echo "scripts/lint_exceptions.txt:$n: $file $name is not over $max_function_lines lines" \
             "(any more): remove the exception"
        fail=1
      fi
    done <"$exceptions"
  fi
fi

# 3. Pointers outside the repository. The patterns are spelled with bracket expressions so that
# this script does not match itself.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  pattern='DESIGN[.]md|[.][.]/shared|shared/r[e]ference|reference/[a-z-]+[.]md'
  pattern+='|(sagemaker|metrics|faults|platform-notes)[.]md'
  hits=$(git -C "$src" grep -nIE "$pattern" -- . || true)
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    echo "$(cut -d: -f1,2 <<<"$hit"): points outside the repository" \
         "($(grep -oE "$pattern" <<<"${hit#*:*:}" | head -n 1)); point at docs/architecture.md"
    fail=1
  done <<<"$hits"
else
  echo "lint: $src is not a git checkout: the check of pointers outside the repository is skipped"
fi

echo "lint: $([ $fail -eq 0 ] && echo ok || echo FAILED) in $(($(date +%s) - start)) s"
exit $fail
