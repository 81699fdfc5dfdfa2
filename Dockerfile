# syntax=docker/dockerfile:1.7
# infra-review: build the TypeScript, then a slim runtime with production dependencies, git and OpenTofu.
# No Docker engine runs in the project's CI: this file is kept correct by reading (see README "Docker image").

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim AS iac
ARG TARGETARCH=amd64
# Pinned OpenTofu release. The zip is verified against TOFU_SHA256 when given (recommended: pin it in your build),
# and always against the release's own SHA256SUMS file.
ARG TOFU_VERSION=1.11.2
ARG TOFU_SHA256=
# Optional Terraform (BUSL): set TERRAFORM_VERSION (and TERRAFORM_SHA256) to add it; IAC_BINARY=terraform selects it.
ARG TERRAFORM_VERSION=
ARG TERRAFORM_SHA256=
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl unzip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /tmp/iac
RUN set -eu; \
    zip="tofu_${TOFU_VERSION}_linux_${TARGETARCH}.zip"; \
    base="https://github.com/opentofu/opentofu/releases/download/v${TOFU_VERSION}"; \
    curl -fsSLO "${base}/${zip}"; \
    curl -fsSLO "${base}/tofu_${TOFU_VERSION}_SHA256SUMS"; \
    grep " ${zip}\$" "tofu_${TOFU_VERSION}_SHA256SUMS" | sha256sum -c -; \
    if [ -n "${TOFU_SHA256}" ]; then echo "${TOFU_SHA256}  ${zip}" | sha256sum -c -; fi; \
    unzip -q "${zip}" tofu -d /usr/local/bin; \
    chmod 0755 /usr/local/bin/tofu; \
    /usr/local/bin/tofu version
RUN set -eu; \
    if [ -n "${TERRAFORM_VERSION}" ]; then \
      zip="terraform_${TERRAFORM_VERSION}_linux_${TARGETARCH}.zip"; \
      base="https://releases.hashicorp.com/terraform/${TERRAFORM_VERSION}"; \
      curl -fsSLO "${base}/${zip}"; \
      curl -fsSLO "${base}/terraform_${TERRAFORM_VERSION}_SHA256SUMS"; \
      grep " ${zip}\$" "terraform_${TERRAFORM_VERSION}_SHA256SUMS" | sha256sum -c -; \
      if [ -n "${TERRAFORM_SHA256}" ]; then echo "${TERRAFORM_SHA256}  ${zip}" | sha256sum -c -; fi; \
      unzip -q "${zip}" terraform -d /usr/local/bin; \
      chmod 0755 /usr/local/bin/terraform; \
    fi

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
COPY --from=iac /usr/local/bin/ /usr/local/bin/
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY package.json app.yml ./
COPY schema ./schema
RUN groupadd --system --gid 10001 infrareview \
 && useradd --system --uid 10001 --gid infrareview --home-dir /app --shell /usr/sbin/nologin infrareview \
 && mkdir -p /data \
 && chown infrareview:infrareview /data
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    IAC_BINARY=tofu \
    TF_IN_AUTOMATION=1
VOLUME ["/data"]
USER infrareview
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "node_modules/probot/bin/probot.js", "run", "./lib/index.js"]
