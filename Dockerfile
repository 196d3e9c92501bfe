# CRS image. The builder stage builds the wheel with the same script CI runs (scripts/build_wheel.sh, exercised
# by scripts/test.sh together with scripts/check_wheel.sh, which repeats the runtime stage's install and
# entrypoint in a fresh virtualenv). Runtime: python:3.11-slim, uid 10001, nothing written outside /tmp and
# /data, so it runs with readOnlyRootFilesystem (deploy/base/deployment.yaml).
#
#   docker build -t crs:0.1.0 .
#   docker run --rm -p 50051:50051 -e CRS_HOST=0.0.0.0 -e CRS_ALLOW_INSECURE=true crs:0.1.0

FROM python:3.11-slim-bookworm AS builder
ARG RUST_VERSION=1.88.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential curl ca-certificates libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
ENV RUSTUP_HOME=/opt/rustup CARGO_HOME=/opt/cargo PATH=/opt/cargo/bin:$PATH
RUN curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain "${RUST_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY rust_core ./rust_core
COPY python ./python
COPY proto ./proto
COPY scripts/build_wheel.sh ./scripts/
RUN BUILD_VENV=/opt/build-venv bash scripts/build_wheel.sh

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CRS_DATA_DIR=/data PROMETHEUS_MULTIPROC_DIR=/tmp/crs-metrics
COPY --from=builder /src/dist/ /tmp/dist/
RUN pip install /tmp/dist/crs-*.whl && rm -rf /tmp/dist \
 && groupadd --gid 10001 crs && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin crs \
 && mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
WORKDIR /data
EXPOSE 50051 9464
ENTRYPOINT ["crs", "serve"]
