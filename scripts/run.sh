#!/usr/bin/env bash
# Installs what is missing, builds, and runs herald. Arguments go to herald:
#   ./scripts/run.sh                      the embedded config/herald.yaml on 127.0.0.1:8080
#   ./scripts/run.sh -c other.yaml        another config
#   ./scripts/run.sh check -c other.yaml  any herald command
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages "${BUILD_PACKAGES[@]}"
ensure_build herald herald-plugins
exec "$HERALD_BUILD/bin/herald" "$@"
