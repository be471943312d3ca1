# syntax=docker/dockerfile:1.7
# One image for every component: `chargeplane serve gateway|registry|api`, `chargeplane operator`.
#   docker build -t ghcr.io/chargeplane/chargeplane:0.1.0 .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a wheel of our code, then a venv with the locked runtime dependencies ---------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY chargeplane ./chargeplane
COPY gateway ./gateway
COPY services ./services
COPY operator ./operator
# The lock pins every version (dev extras included); as constraints it pins the runtime subset only.
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && python -m venv /opt/chargeplane \
 && /opt/chargeplane/bin/pip install --constraint requirements.lock /wheels/*.whl \
 && /opt/chargeplane/bin/python -m compileall -q /opt/chargeplane/lib

# --- runtime: no compilers, no sources, not root -----------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="chargeplane" \
      org.opencontainers.image.description="Kubernetes-native OCPP CSMS" \
      org.opencontainers.image.source="https://github.com/chargeplane/chargeplane" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 chargeplane \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/chargeplane --create-home chargeplane
COPY --from=build /opt/chargeplane /opt/chargeplane
ENV PATH=/opt/chargeplane/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHARGEPLANE_LOG_JSON=true
# Numeric user so `runAsNonRoot: true` can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /home/chargeplane
# OCPP + probes + metrics (gateway), gateway gRPC, services gRPC, REST API / operator liveness.
EXPOSE 9000 50052 50051 8080
ENTRYPOINT ["chargeplane"]
CMD ["--help"]
