#!/usr/bin/env bash
# Installs what the tests need (Deno, Chromium, promtool, Prometheus, VictoriaMetrics, InfluxDB 1.x,
# systemd-analyze) and runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
exec deno task test "$@"
