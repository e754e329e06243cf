# syntax=docker/dockerfile:1
#
# edgewatch image: build on the full Node image (it has python3, make and g++, which
# better-sqlite3 needs when no prebuilt binary fits), run on the slim one with production
# dependencies only, as a non-root user, with tini as PID 1.
#
#   docker build -t edgewatch .
#   docker run -p 4317:4317 -p 4318:4318 -p 9464:9464 -v edgewatch-data:/data edgewatch
#
# test/integration/operate/dockerfile.test.ts runs these stages' commands outside a container:
# keep every RUN of the build stages a plain shell command run in WORKDIR.

ARG NODE_IMAGE=node:20-bookworm
ARG RUNTIME_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, TypeScript → dist/ ---------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

# --- prod-deps: production dependencies only, native modules compiled for this Node ---------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime ---------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# tini reaps zombies and forwards signals; edgewatch itself drains on SIGTERM (edgewatch serve).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown 1000:1000 /data
WORKDIR /app
ENV NODE_ENV=production \
    EDGEWATCH_STORE=sqlite:/data/edgewatch.db
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY src/store/redis/lua ./src/store/redis/lua
# The image's "node" user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
VOLUME ["/data"]
# OTLP gRPC, OTLP HTTP, admin (/metrics, /healthz, /readyz, /api/v1)
EXPOSE 4317 4318 9464
# No curl in the slim image: node asks /healthz on the admin port (EDGEWATCH_ADMIN_ADDR's port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.EDGEWATCH_ADMIN_ADDR||'0.0.0.0:9464').split(':').pop();require('http').get({host:'127.0.0.1',port:p,path:'/healthz',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# --initial-heap-size: see README "Performance" (full GCs 2x less often under load); keep in step
# with package.json's start script (test/unit/deploy/manifests.test.ts checks it).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--initial-heap-size=128", "bin/edgewatch.js", "serve"]
