# bulk-sandbox image: build the TypeScript in one stage, run the JavaScript on a slim Node LTS.
# Node 24 (LTS): better-sqlite3 12.x ships and supports it. It listens on 0.0.0.0, so it needs
# SANDBOX_ADMIN_TOKEN at run time (16+ characters): the control plane is locked off loopback.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
# scripts/build.ts: tsc for the library, esbuild for the bin (dist/main.js, one file) and the CommonJS
# entry, and Swagger UI's files copied into dist/; all three are dev dependencies, pruned after.
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# Other containers address the control API by a service name the image cannot know: any Host is
# accepted here, which is safe only because off loopback the sandbox refuses to start without
# SANDBOX_ADMIN_TOKEN (a rebound web page never holds it). Name the hosts to narrow it.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SANDBOX_ALLOWED_HOSTS=* \
    PORT=4700 \
    SANDBOX_DB=/data/bulk-sandbox.db
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 4700
# Health answers without the admin token: the check needs no secret.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4700) + '/_sandbox/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
