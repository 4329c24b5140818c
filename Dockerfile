# The sidecar image: build with the full toolchain, run with only what the sidecar needs, as a non-root user.
# The code runs on Node 20 or newer; the image uses the current LTS.
FROM node:22-bookworm-slim AS build
# better-sqlite3 (the default governance store) is a native add-on: it builds from source where
# no prebuilt binary for this Node can be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# tsconfig compiles tests and the benchmark too (one build); only dist/src reaches the image.
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    GATEWAY_CONFIG=/etc/llm-gateway/gateway.yaml
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY protos ./protos
COPY config ./config
COPY config/gateway.yaml /etc/llm-gateway/gateway.yaml
# The default store's file (governance.sqlite.path, data/gateway.db from /app): a volume, so
# keys, revocations and spend outlive the container.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
# The default ports: 50051 ext_proc gRPC (Envoy only), 9090 /healthz, /livez and /metrics.
# The configuration decides the real ones; the health check reads it rather than assume 9090.
EXPOSE 50051 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "dist/src/cli/gateway.js", "healthcheck"]
ENTRYPOINT ["node", "dist/src/cli/gateway.js"]
CMD ["serve"]
