# syntax=docker/dockerfile:1
# Image API: Bun runs the TypeScript sources directly (no build step).
# Final image: oven/bun distroless (glibc + bun, no shell, no package manager), non-root.
ARG BUN_VERSION=1.4.5

# --- Stage 1: production dependencies only, from the committed lockfile ---------------------------
FROM oven/bun:${BUN_VERSION} AS install
WORKDIR /app
COPY package.json bun.lock ./
# Fixes applied to dependencies at install (see README "Patched dependencies").
COPY patches ./patches
# --ignore-scripts: no dependency needs a lifecycle script at run time (protobufjs' is cosmetic).
RUN bun install --frozen-lockfile --production --ignore-scripts \
  && mkdir -p /app/data

# --- Stage 2: runtime -----------------------------------------------------------------------------
FROM oven/bun:${BUN_VERSION}-distroless AS release
WORKDIR /app

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data

# Code and dependencies stay owned by root (read-only for the app); only DATA_DIR is writable.
COPY --from=install /app/node_modules ./node_modules
COPY package.json bun.lock tsconfig.json ./
COPY drizzle ./drizzle
COPY src ./src
# 65532 is distroless' "nonroot" user; a named volume mounted here inherits this ownership.
COPY --from=install --chown=65532:65532 /app/data ./data

USER 65532:65532
EXPOSE 8000
# The app drains in-flight requests on SIGTERM (SHUTDOWN_TIMEOUT_MS); keep the compose
# stop_grace_period above that.
STOPSIGNAL SIGTERM

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/bun", "src/healthcheck.ts"]

# Exec form and no wrapper: Bun is PID 1 and receives SIGTERM itself. The base image's
# ENTRYPOINT (bun) is cleared so CMD is the whole command line.
ENTRYPOINT []
CMD ["/usr/local/bin/bun", "src/index.ts"]
