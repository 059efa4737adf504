#!/usr/bin/env bash
# Installs SoftHSM2 (Debian package softhsm2) for the keys-pkcs11 tests, if it is missing.
# Idempotent: does nothing when softhsm2-util and the PKCS#11 module are already there.
set -euo pipefail

module_present() {
  [ -f /usr/lib/softhsm/libsofthsm2.so ] || [ -f /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so ]
}

if command -v softhsm2-util >/dev/null 2>&1 && module_present; then
  echo "softhsm2: already installed ($(softhsm2-util --version))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq softhsm2 >/dev/null
echo "softhsm2: installed ($(softhsm2-util --version))"
