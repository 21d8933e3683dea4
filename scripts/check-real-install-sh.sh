#!/usr/bin/env bash
# Runs the RKE2 stage tests with RKE2's real install.sh in place of the contract model the test suite uses.
# install.sh is not part of this repository: pass a copy (from https://get.rke2.io or rancher/rke2's install.sh).
# The real script moves rke2-*.service into /etc/systemd/system when installing under a non-default prefix, so run
# this on a scratch machine; the units are removed again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 PATH/TO/install.sh" >&2; exit 2; }
export FERRY_RKE2_INSTALL_SH="$(realpath "$1")"
trap 'rm -f /etc/systemd/system/rke2-server.service /etc/systemd/system/rke2-agent.service' EXIT
npx vitest run test/integration/rke2-stage.test.ts
