#!/usr/bin/env bash
# Installs Debian's chromium for the /swagger browser test when it is missing and we can (root + apt).
# Best effort: without it the browser test reports itself skipped.
set -u
for c in chromium chromium-browser google-chrome; do command -v "$c" >/dev/null 2>&1 && exit 0; done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (Debian package) for the /swagger browser test"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >/tmp/aqueduct-chromium-install.log 2>&1 \
    || echo "could not install chromium (see /tmp/aqueduct-chromium-install.log); the browser test will be skipped"
else
  echo "chromium not found and cannot be installed here; the browser test will be skipped"
fi
exit 0
