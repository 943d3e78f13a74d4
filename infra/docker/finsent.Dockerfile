# The finsent services in one image; the role is the command (`service ingest|classify|store|alert|live`).
# Built by infra/docker-compose.yml from the repository root. The model's weights are in the repository, so the
# image needs nothing from the internet at run time.
FROM node:20-bookworm-slim

WORKDIR /app
# onnxruntime-node's CPU binaries come with its npm package; its install script would only fetch CUDA extras.
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip

COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/ingest/package.json services/ingest/
COPY services/classify/package.json services/classify/
COPY services/store/package.json services/store/
COPY services/alert/package.json services/alert/
COPY services/live/package.json services/live/
# `npm install`, not `npm ci`: chdb's lock entries name native packages for other platforms (scripts/bootstrap.sh).
RUN npm install --omit=dev --no-audit --no-fund --loglevel=error && npm cache clean --force

COPY tsconfig.json ./
COPY bin bin
COPY cli cli
COPY shared shared
COPY services services
COPY models models

USER node
ENTRYPOINT ["node", "bin/finsent.mjs"]
CMD ["--help"]
