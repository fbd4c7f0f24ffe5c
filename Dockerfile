FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY pyproject.toml README.md ./
COPY catalog ./catalog
COPY schemas ./schemas
COPY harvesters ./harvesters
COPY web ./web
COPY maillage ./maillage
COPY demo ./demo
RUN pip install --no-cache-dir .
ENV MAILLAGE_DSFR_DIR=/app/node_modules/@gouvfr/dsfr/dist
# docker logs reads a pipe, which Python block-buffers: without this a worker's lines arrive by 8 KB.
ENV PYTHONUNBUFFERED=1
RUN useradd --create-home maillage && mkdir /data && chown maillage /data
USER maillage
EXPOSE 8000
CMD ["maillage", "serve", "--host", "0.0.0.0", "--port", "8000"]
