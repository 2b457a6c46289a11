# migrate in a container (docs/operations.md):
#   docker build -t migrate .
#   docker run --rm -v "$PWD/configs:/work/configs:ro" -v "$PWD/results:/work/results" \
#       -e MIGRATE_APP_KEY -e MIGRATE_APP_SECRET migrate run configs/my-run.toml
# Nothing secret is in the image: credentials come at run time, as environment variables or as a
# file the config names (target.credentials_file), mounted read-only.
ARG PYTHON_VERSION=3.11

# Build: the wheel, installed with its runtime dependencies only (no dev extras) into a virtual
# environment that the runtime stage copies whole.
FROM python:${PYTHON_VERSION}-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY migrate ./migrate
RUN python -m venv /opt/migrate \
    && /opt/migrate/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
    && /opt/migrate/bin/pip install /tmp/wheels/migrate-*.whl

# Runtime: the environment, a user without privileges, and the folder configs are mounted under.
FROM python:${PYTHON_VERSION}-slim
ENV PATH=/opt/migrate/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /work --shell /usr/sbin/nologin migrate \
    && mkdir -p /work/configs /work/results \
    && chown -R migrate:migrate /work
COPY --from=build /opt/migrate /opt/migrate
USER 10001:10001
WORKDIR /work
# Mount configs/ (the config, read-only) and results/ (result logs, locks, snapshots); a config's
# relative paths are read from its own folder, so `result_log = "../results/{run_id}.jsonl"`.
ENTRYPOINT ["migrate"]
CMD ["--help"]
