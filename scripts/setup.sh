#!/usr/bin/env bash
# Install what the tool and its tests need on a fresh Debian machine, then the Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# postgresql: the store's tests run on it too (scripts/with-postgres.sh starts a throwaway one).
debs=(chromium chromium-driver poppler-utils qpdf fonts-noto-core fonts-dejavu-core postgresql)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[dev]'
if [ -f package.json ]; then
  npm ci --no-audit --no-fund --silent
fi
