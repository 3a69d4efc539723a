# syntax=docker/dockerfile:1
# One image for every process: the gateway (default), the executor and the demo upstream.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY workers ./workers
COPY demo ./demo
COPY config ./config
COPY openapi.yaml ./
RUN npm run build

FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080
# SIGTERM drains (see README, Guarantees); give it SHUTDOWN_TIMEOUT_MS plus a margin.
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
