#!/usr/bin/env bash
# Installs what Rummelig needs on this machine, each part only once: Java and Maven (Debian packages),
# the Python virtualenv with the project's packages, and the Kafka jars (into ~/.cache/rummelig, outside the repo).
# Sourced by deploy/up and deploy/test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the page tests drive Debian's Chromium with Playwright
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[bootstrap] installing ${missing[*]} ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "[bootstrap] please install: ${missing[*]} (Java 17+ and Maven fetch and run the Kafka broker; Chromium runs the page tests)" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "[bootstrap] Python 3.11+ is required" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat .venv/.rummelig-installed 2>/dev/null)" != "$stamp" ]; then
  echo "[bootstrap] installing Python packages into .venv ..."
  mkdir -p .venv/log
  { .venv/bin/pip install --upgrade pip && .venv/bin/pip install -e '.[dev]'; } > .venv/log/pip.log 2>&1 \
    || { tail -30 .venv/log/pip.log >&2; exit 1; }
  echo "$stamp" > .venv/.rummelig-installed
fi

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/python -c 'from deploy.kafka import ensure_jars; ensure_jars(lambda line: print("[bootstrap]", line))' >/dev/null
