#!/bin/bash
# The examples/ user models against the INSTALLED library (examples/meson.build):
# installs the build into a temporary directory, builds every example with nothing but
# `pkg-config --cflags --libs stakehjb` (the installed stakehjb.pc, relocatable), and
# runs examples/NAME_check.py, which solves with the installed program (plugins:
# -model_plugin) on 1 and 2 ranks and checks the results.  No build-tree header or
# library is visible to the examples.
#
# usage: check_examples.sh BUILD_DIR EXAMPLES_DIR MPIEXEC PYTHON NAME:KIND...
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) mpiexec=$3 python=$4
shift 4

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stk_examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; echo "check_examples: meson install failed"; exit 1; }
pc=$(find "$tmp/root" -name stakehjb.pc | head -n 1)
[ -n "$pc" ] || { echo "check_examples: no stakehjb.pc installed"; exit 1; }
if ! grep -q '^prefix=${pcfiledir}' "$pc"; then
  # a build directory configured before stakehjb.pc became relocatable
  # (-Dpkgconfig.relocatable=true is the project's default): point a copy at the install
  orig=$(sed -n 's/^prefix=//p' "$pc")
  mkdir -p "$tmp/pkgconfig"
  sed "s|^prefix=.*|prefix=$tmp/root$orig|" "$pc" >"$tmp/pkgconfig/stakehjb.pc"
  pc="$tmp/pkgconfig/stakehjb.pc"
fi
export PKG_CONFIG_PATH="$(dirname "$pc")"
prefix=$(cd "$(pkg-config --variable=prefix stakehjb)" && pwd)
libdir=$(cd "$(pkg-config --variable=libdir stakehjb)" && pwd)
stakehjb="$prefix/bin/stakehjb"
[ -x "$stakehjb" ] || { echo "check_examples: no installed $stakehjb"; exit 1; }
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
flags=$(pkg-config --cflags --libs stakehjb)
case "$flags" in *"$build"*) echo "check_examples: pkg-config points into the build tree: $flags"; exit 1 ;; esac
echo "installed: $prefix"
echo "pkg-config --cflags --libs stakehjb: $flags"

status=0
for entry in "$@"; do
  name=${entry%%:*} kind=${entry#*:}
  work="$tmp/$name"
  mkdir -p "$work"
  case $kind in
    plugin) artifact="$work/lib$name.so" extra="-shared -fPIC" ;;
    program) artifact="$work/$name" extra="" ;;
    *) echo "check_examples: $name: unknown kind '$kind' (plugin or program)"; exit 1 ;;
  esac
  # shellcheck disable=SC2086 # the flags are words
  if ! cc -std=c17 -Wall -Wextra -Wno-unused-parameter -Werror $extra "$src/$name.c" -o "$artifact" $flags; then
    echo "FAIL $name: does not build against the installed library"
    status=1
    continue
  fi
  echo "built $name ($kind, $(grep -c '' "$src/$name.c") lines)"
  if (cd "$work" && "$python" "$src/${name}_check.py" "$artifact" "$stakehjb" "$mpiexec"); then
    echo "ok   $name"
  else
    echo "FAIL $name"
    status=1
  fi
done
exit $status
