#!/usr/bin/env bash
# Installs everything the tests (and the demo) need on Debian 12 as root: real registry, skopeo, htpasswd,
# openssl, coreutils, GNU time, zstd, dpkg/apt tooling, gpg, Chromium (the HTML report is opened in it), zsh and fish
# (completion scripts are parsed by them); then the
# npm packages. Idempotent: apt runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
need=()
for pair in docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils openssl:openssl zstd:zstd \
            dpkg-deb:dpkg-dev apt-ftparchive:apt-utils gpg:gnupg sha256sum:coreutils tar:tar /usr/bin/time:time \
            chromium:chromium python3:python3 tmux:tmux zsh:zsh fish:fish; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-test-deps: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "install-test-deps: installing ${need[*]}"
  # Packages must not start services (a registry on :5000) inside this machine.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
