#!/usr/bin/env bash
# Quick start: installs Deno if needed, then runs the master with a worker for this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec deno task start "$@"
