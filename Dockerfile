# Watcher's image: `docker build -t watcher .` (see docs/operations.md#container).
# Written and checked without a container engine: this file was not built here. Its install and
# start steps are scripts/container.sh, which the tests run in a fresh virtualenv.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/watcher/bin:$PATH

COPY pyproject.toml requirements.lock README.md /tmp/watcher/
COPY src /tmp/watcher/src
COPY scripts/container.sh /usr/local/bin/container.sh
RUN container.sh install /opt/watcher /tmp/watcher \
    && rm -rf /tmp/watcher \
    && useradd --system --create-home --home-dir /var/lib/watcher --uid 10001 watcher

USER watcher
WORKDIR /var/lib/watcher
# SQLite in the container's home unless DATABASE_URL names PostgreSQL.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////var/lib/watcher/watcher.db
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=6s --start-period=20s --retries=3 \
    CMD ["container.sh", "healthcheck"]
ENTRYPOINT ["container.sh", "start"]
# The API. Migrate first with `docker run ... watcher db upgrade`; run the jobs with `jobs run`.
CMD ["serve"]
