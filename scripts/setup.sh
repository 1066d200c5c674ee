#!/usr/bin/env bash
# Installs what gridmon's development and tests need on a fresh Debian/Ubuntu machine:
# Deno (pinned, from npm) and, with --test, Chromium (browser tests), promtool and prometheus
# (metrics format check, remote-write receiver), victoria-metrics and influxdb 1.x (the export
# tests write into them), systemd-analyze (unit check), python3-aiosmtpd and openssl (a real SMTP
# server for the e-mail tests) and stress-ng (the process tests' CPU load); with --bench also
# node_exporter and process-exporter, which the benchmarks run beside gridmon.
set -euo pipefail
DENO_VERSION=2.9.6

have_deno() { command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n1 | grep -q "deno ${DENO_VERSION} "; }

if ! have_deno; then
  echo "setup: installing Deno ${DENO_VERSION} from npm" >&2
  npm install -g --silent "deno@${DENO_VERSION}" >&2
  hash -r
  have_deno || { echo "setup: deno ${DENO_VERSION} did not install" >&2; exit 1; }
fi

if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
  command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
  command -v influxd >/dev/null 2>&1 || missing+=(influxdb)
  # A real SMTP server for the e-mail notifier's tests, and openssl for its certificate.
  /usr/bin/python3 -c "import aiosmtpd" >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v stress-ng >/dev/null 2>&1 || missing+=(stress-ng)
  if [ "${1:-}" = "--bench" ]; then
    [ -x /usr/bin/prometheus-node-exporter ] || missing+=(prometheus-node-exporter)
    [ -x /usr/bin/prometheus-process-exporter ] || missing+=(prometheus-process-exporter)
  fi
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} from apt" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi
