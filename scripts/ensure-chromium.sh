#!/usr/bin/env bash
# Install Debian's Chromium and a CJK font for the browser tests when they are missing.
# Playwright cannot download its own browsers here, so the tests drive /usr/bin/chromium.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "wenquanyi"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium and fonts-wqy-microhei (Debian packages) for the browser tests …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
else
  echo "note: the browser tests need Debian's chromium: sudo apt-get install chromium fonts-wqy-microhei" >&2
fi
