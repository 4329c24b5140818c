# The sidecar image: build with the full toolchain, run with only what the sidecar needs, as a non-root user.
# The code runs on Node 20 or newer; the image uses the current LTS.
FROM node:22-bookworm-slim AS build
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
USER node
# 50051: ext_proc gRPC (Envoy only). 9090: /healthz and /metrics.
EXPOSE 50051 9090
HEALTHCHECK --interval=10s --timeout=2s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9090/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/gateway.js"]
CMD ["serve"]
