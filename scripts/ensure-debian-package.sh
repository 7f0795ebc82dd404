#!/usr/bin/env bash
# ensure-debian-package.sh PACKAGE COMMAND... — installs Debian's PACKAGE when none of the COMMANDs is on
# PATH and we can (root + apt). A COMMAND may be an absolute path pattern instead (quoted), for packages that
# keep their programs off PATH: '/usr/lib/postgresql/*/bin/postgres'. Best effort: without the package, the
# tests that need it report themselves skipped (or, for PostgreSQL, fail saying how to install it).
set -u
package=$1; shift
# $c unquoted on purpose: a path pattern expands to the files it matches (or stays as is and is not found).
for c in "$@"; do for p in $c; do command -v "$p" >/dev/null 2>&1 && exit 0; done; done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing $package (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  log=/tmp/aqueduct-install-$package.log
  { apt-get install -y -qq --no-install-recommends "$package" || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$package"; }; } >"$log" 2>&1 \
    || echo "could not install $package (see $log); the tests that need it will be skipped"
else
  echo "$package not found and cannot be installed here; the tests that need it will be skipped"
fi
exit 0
