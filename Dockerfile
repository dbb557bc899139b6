# syntax=docker/dockerfile:1
# wa-session server image: docker build -t wa-session . && docker run -p 8080:8080 -v wa-data:/data wa-session
# Stage 1 builds the deployable folder (the bundle and the compiled SQLite driver); stage 2 runs it as a non-root user.
# Both stages are Debian bookworm with the same Node major version, so the driver compiled in stage 1 loads in stage 2.

FROM node:20-bookworm AS build
WORKDIR /src
COPY . .
RUN npx -y pnpm@10.34.9 install --frozen-lockfile \
 && npx -y pnpm@10.34.9 --filter @wa-session/server deployable /out

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    WA_SESSION_DATABASE_URL=sqlite:/data/wa-session.db
WORKDIR /app
COPY --from=build /out/ /app/
# the data volume holds the SQLite file and the generated secrets (api-token, webhook-secret, events-secret)
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# SIGTERM lets in-flight sends finish (up to 5 s) and records the rest; give the container at least 15 s to stop
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "server.mjs"]
