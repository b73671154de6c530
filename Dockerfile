# syntax=docker/dockerfile:1
# Build: docker build -t bokji-atlas .   Run: see docker-compose.yml
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY app ./app
COPY services ./services
COPY models ./models
COPY spatial ./spatial
COPY domain ./domain
COPY geodata ./geodata
COPY etl ./etl
RUN pip install --upgrade pip && pip install .

FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 atlas
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH ATLAS_DATA_DIR=/var/lib/atlas PYTHONUNBUFFERED=1
RUN mkdir -p /var/lib/atlas && chown atlas:atlas /var/lib/atlas
USER atlas
WORKDIR /home/atlas
EXPOSE 8050
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz')"
COPY gunicorn.conf.py ./
ENV ATLAS_HOST=0.0.0.0
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
