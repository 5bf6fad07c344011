# trailguard: `trailguard serve` runs every scheduled flow (ingest, detection, training, export)
# from one process, against the Prefect server named by PREFECT_API_URL.
#
#   docker build -t trailguard .
#   docker run ... trailguard        (see docs/orchestration.md for the full command)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, unprivileged user; the lake (audit data) lives on a volume only it can write.
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin trailguard \
    && mkdir -p /data \
    && chown trailguard:trailguard /data \
    && chmod 700 /data

# Build the wheel and install it, then drop the sources: the image runs what a user's
# `pip install .` installs (the SQL, rules and templates as package data), not a checkout.
WORKDIR /opt/trailguard
COPY pyproject.toml README.md prefect.yaml ./
COPY pipeline ./pipeline
COPY models ./models
COPY flows ./flows
COPY sql ./sql
RUN pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && pip install /tmp/wheels/trailguard-*.whl \
    && rm -rf /tmp/wheels pipeline models flows sql

USER trailguard
ENV TRAILGUARD_LAKE=/data/lake \
    DO_NOT_TRACK=1 \
    PREFECT_SERVER_ANALYTICS_ENABLED=false \
    PREFECT_HOME=/home/trailguard/.prefect \
    PREFECT_RUNNER_SERVER_HOST=127.0.0.1 \
    PREFECT_RUNNER_SERVER_PORT=8080
VOLUME ["/data"]

# Healthy while the runner polls the Prefect server for scheduled runs (its /health endpoint).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"]

CMD ["trailguard", "serve"]
