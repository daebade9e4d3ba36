#!/usr/bin/env bash
# Install what the browser test (tests/test_browser.py) needs: Debian's chromium. Idempotent: quick when present.
# Playwright drives this system browser; no browser is downloaded.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"; exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium
/usr/bin/chromium --version
