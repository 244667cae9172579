# One image for every Python part of Rummelig: the four services and the one-shot provisioning, each chosen by its
# command (docker-compose.yml runs it this way):
#
#   docker build -t ghcr.io/rummelig/rummelig:local .
#   docker run --rm ghcr.io/rummelig/rummelig:local python -m deploy.provision     # databases, migrations, topics
#   docker run --rm ghcr.io/rummelig/rummelig:local python -m services.intake      # or enrolment, followup, reporting
#
# Two stages: `builder` makes a virtualenv of pyproject.toml's [project] dependencies (not the dev extra); the final
# stage is the same base with that virtualenv and the code, run by an unprivileged user. Every dependency comes as a
# wheel for linux/amd64 and linux/arm64 (pip --only-binary, checked 2026-12-05), so no stage needs a compiler; a
# dependency without a wheel fails the build here rather than pulling a toolchain into the image.
#
# The base is pinned by tag and by digest, and both stages use the same one: the virtualenv's `python` is a link to
# the base's /usr/local/bin/python3.11. The digest is the multi-platform index of python:3.11.16-slim-trixie as
# docker-library/repo-info recorded it (repos/python/remote/3.11.16-slim-trixie.md, built 2026-08-25; the registry
# itself was not reachable to re-check it). Update tag and digest together, in both FROM lines.
# tests/unit/test_dockerfile.py checks this file: hadolint, and its shape read as text.

FROM python:3.11.16-slim-trixie@sha256:be1575ed968de893bd54f4c56315ff7c4736ce522c1bca08fd521731aafc0d76 AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN python -m venv /opt/venv
# From here on `python` and `pip` are the virtualenv's. Called by name, not by path: hadolint checks pip only so.
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /build
# Only pyproject.toml: the dependency layer is rebuilt when the dependencies change, not when the code does.
COPY pyproject.toml ./
RUN python -c 'import tomllib as t; print(*t.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' \
        > requirements.txt \
    && pip install --no-cache-dir --only-binary=:all: -r requirements.txt


FROM python:3.11.16-slim-trixie@sha256:be1575ed968de893bd54f4c56315ff7c4736ce522c1bca08fd521731aafc0d76

# The source is the repository behind ghcr.io/rummelig/rummelig (GHCR links the package to it). NOASSERTION: the
# project names no licence yet (no LICENSE file, no `license` in pyproject.toml); put its SPDX id here when it does.
LABEL org.opencontainers.image.title="rummelig" \
      org.opencontainers.image.description="Rummelig case management: four services and provisioning" \
      org.opencontainers.image.source="https://github.com/rummelig/rummelig" \
      org.opencontainers.image.licenses="NOASSERTION"

# A fixed numeric user and group, so that Kubernetes' runAsNonRoot can check it and volumes can be prepared for it.
RUN groupadd --system --gid 10001 rummelig \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --no-log-init \
        --shell /usr/sbin/nologin rummelig

# The code is imported from /app (the working directory and PYTHONPATH), as the launcher imports it from the checkout;
# the project is not pip-installed. PYTHONDONTWRITEBYTECODE: the code belongs to root and is read-only for the user,
# so the bytecode is compiled once below instead.
ENV PATH="/opt/venv/bin:${PATH}" \
    VIRTUAL_ENV=/opt/venv \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# What runs here: the packages with their templates (services/*/templates, shared/pages/templates), static files
# (shared/pages/static) and each service's Alembic migrations (services/*/migrations, run by deploy.provision). Of
# deploy/ only its modules: provisioning imports deploy.postgres; the launcher's scripts, the Kafka pom and the cluster
# manifests stay out. schemas/ is not read at run time (the contracts in shared/contracts are the source).
COPY shared/ ./shared/
COPY services/ ./services/
COPY deploy/*.py ./deploy/
RUN python -m compileall -q -j 0 --invalidation-mode checked-hash shared services deploy

USER 10001:10001

# intake, enrolment, followup, reporting (deploy/stack.py StackConfig.service_ports); each listens on <NAME>_HTTP_PORT.
EXPOSE 8001 8002 8003 8004

# No entrypoint: the command is the part to run, e.g. `python -m services.followup`. Without one, the front door.
CMD ["python", "-m", "services.intake"]
