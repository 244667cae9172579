#!/usr/bin/env bash
# Installs what Rummelig needs on this machine, each part only once: Java and Maven (Debian packages),
# the Python packages (one virtualenv per pyproject.toml, shared by clones) and the Kafka jars, both into
# ~/.cache/rummelig, outside the repo; .venv links to the virtualenv.
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
stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
install_packages() {  # $1: the virtualenv; the project's own code is found through PYTHONPATH, not installed
  echo "[bootstrap] installing Python packages into $1 ..."
  mkdir -p "$1/log"
  "$PYTHON" -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["dev"]))' > "$1/requirements.txt"
  { "$1/bin/pip" install --upgrade pip && "$1/bin/pip" install -r "$1/requirements.txt"; } > "$1/log/pip.log" 2>&1 \
    || { tail -30 "$1/log/pip.log" >&2; exit 1; }
  echo "$stamp" > "$1/.rummelig-installed"
}
if [ -d .venv ] && [ ! -L .venv ]; then
  # A .venv folder of this clone's own (made by an older bootstrap): kept up to date where it is.
  [ "$(cat .venv/.rummelig-installed 2>/dev/null)" = "$stamp" ] || install_packages .venv
else
  # One virtualenv per set of dependencies, shared by every clone on this machine (like the Kafka jars): a fresh
  # clone of an unchanged pyproject.toml installs nothing. .venv is a link to it.
  cache="${RUMMELIG_CACHE_DIR:-$HOME/.cache/rummelig}/venvs"
  venv="$cache/py$("$PYTHON" -c 'import sys; print("%d%d" % sys.version_info[:2])')-${stamp:0:16}"
  mkdir -p "$cache"
  (
    flock 9  # two clones bootstrapping at once build it once
    if [ "$(cat "$venv/.rummelig-installed" 2>/dev/null)" != "$stamp" ]; then
      rm -rf "$venv"
      "$PYTHON" -m venv "$venv"
      install_packages "$venv"
    fi
  ) 9> "$cache/.lock"
  ln -sfn "$venv" .venv
fi

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
.venv/bin/python -c 'from deploy.kafka import ensure_jars; ensure_jars(lambda line: print("[bootstrap]", line))' >/dev/null
# axe-core, which the page tests inject into Chromium to check accessibility: one pinned version from npm, fetched once
# into the cache beside the virtualenv and the jars (unpacked beside its folder and renamed, so a broken fetch never
# looks complete; the tarball's hash pins its bytes, not only its version).
AXE_CORE_VERSION=4.14.1
axe="${RUMMELIG_CACHE_DIR:-$HOME/.cache/rummelig}/axe-core-$AXE_CORE_VERSION"
if [ ! -s "$axe/axe.min.js" ]; then
  command -v npm >/dev/null 2>&1 || { echo "[bootstrap] please install: npm (it fetches axe-core for the page tests)" >&2; exit 1; }
  echo "[bootstrap] fetching axe-core $AXE_CORE_VERSION from npm ..."
  mkdir -p "$(dirname "$axe")" && rm -rf "$axe" && tmp="$(mktemp -d "$axe.tmp-XXXXXX")"
  ( cd "$tmp" && npm pack --silent "axe-core@$AXE_CORE_VERSION" > npm.log 2>&1 \
    && echo "e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745  axe-core-$AXE_CORE_VERSION.tgz" | sha256sum -c --quiet \
    && tar -xzf "axe-core-$AXE_CORE_VERSION.tgz" --strip-components=1 package/axe.min.js package/LICENSE \
    && rm npm.log "axe-core-$AXE_CORE_VERSION.tgz" ) || { tail -5 "$tmp/npm.log" >&2; rm -rf "$tmp"; exit 1; }
  mv -T "$tmp" "$axe" 2>/dev/null || rm -rf "$tmp"  # another clone got there first: its copy is as good
fi
# Tools only the tests use, built with Go on the first test run (deploy/test sets RUMMELIG_TEST_TOOLS): the launcher
# does not wait for them.
if [ "${RUMMELIG_TEST_TOOLS:-}" = 1 ]; then
  # kustomize, which tests/unit/test_k8s_manifests.py renders deploy/k8s's overlays with: one pinned version, built once
  # with Go into the cache (into a folder beside its final one, then renamed, so a broken build never looks complete).
  # v5.8.2 is the newest whose kustomize/api (v0.21.2) builds with this machine's Go; v5.8.3 needs Go 1.27.
  KUSTOMIZE_VERSION=v5.8.2
  kustomize="${RUMMELIG_CACHE_DIR:-$HOME/.cache/rummelig}/kustomize-$KUSTOMIZE_VERSION"
  if [ ! -x "$kustomize/kustomize" ]; then
    command -v go >/dev/null 2>&1 || { echo "[bootstrap] please install: go 1.26+ (it builds kustomize for the Kubernetes manifest tests)" >&2; exit 1; }
    echo "[bootstrap] building kustomize $KUSTOMIZE_VERSION with $(go env GOVERSION) ..."
    mkdir -p "$(dirname "$kustomize")" && tmp="$(mktemp -d "$kustomize.tmp-XXXXXX")"
    GOBIN="$tmp" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" > "$tmp/go.log" 2>&1 \
      && [ "$("$tmp/kustomize" version)" = "$KUSTOMIZE_VERSION" ] && rm "$tmp/go.log" \
      || { tail -5 "$tmp/go.log" >&2; rm -rf "$tmp"; exit 1; }
    mv -T "$tmp" "$kustomize" 2>/dev/null || rm -rf "$tmp"  # another clone got there first: its copy is as good
  fi
  # promtool, which tests/unit/test_observability.py checks and unit-tests deploy/observability/alerts.yml with: one pinned
  # Prometheus release, built once with Go into the cache like kustomize. Prometheus 3.x is the Go module v0.3xx.y
  # (3.16.0 is v0.316.0); remove_all_sd leaves out the service discoveries the rule checks never use (half the build:
  # about 3.5 CPU-minutes with Go's caches cold), and the version is stamped in so that `promtool --version` names it.
  PROMTOOL_VERSION=3.16.0
  PROMTOOL_MODULE=v0.316.0
  promtool="${RUMMELIG_CACHE_DIR:-$HOME/.cache/rummelig}/promtool-$PROMTOOL_VERSION"
  if [ ! -x "$promtool/promtool" ]; then
    command -v go >/dev/null 2>&1 || { echo "[bootstrap] please install: go 1.26+ (it builds promtool for the alert tests)" >&2; exit 1; }
    echo "[bootstrap] building promtool $PROMTOOL_VERSION with $(go env GOVERSION) (a few minutes, once) ..."
    mkdir -p "$(dirname "$promtool")" && tmp="$(mktemp -d "$promtool.tmp-XXXXXX")"
    GOBIN="$tmp" go install -tags remove_all_sd \
      -ldflags "-X github.com/prometheus/common/version.Version=$PROMTOOL_VERSION" \
      "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_MODULE" > "$tmp/go.log" 2>&1 \
      && [[ "$("$tmp/promtool" --version 2>&1)" == *"version $PROMTOOL_VERSION "* ]] && rm "$tmp/go.log" \
      || { tail -5 "$tmp/go.log" >&2; rm -rf "$tmp"; exit 1; }
    mv -T "$tmp" "$promtool" 2>/dev/null || rm -rf "$tmp"  # another clone got there first: its copy is as good
  fi
fi
