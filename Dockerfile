# syntax=docker/dockerfile:1
# The pacer agent image: `pacer agent` as the entrypoint's default, and the `pacer` CLI on PATH so
# `kubectl -n kube-system exec ds/pacer -- pacer status` works.
#
# Build stage: Debian 12 with Node 20 (node:20-bookworm is debian:12 plus the Node project's Node 20; Debian 12's
# own nodejs is 18, below package.json's engines). It runs the project's own script for the product:
# scripts/setup.sh --product installs the Debian packages the build needs, runs npm ci and
# scripts/build.sh --product (BPF object → build/bpf/, N-API addon → native/build/, the product's TypeScript
# without tests → dist/src/). The bases are build arguments so the image can be built where no registry can
# be pulled from (a base imported from a debootstrapped folder); the defaults are the public images.
#
#   docker build -t <registry>/pacer:0.1.0 .
ARG BUILD_BASE=node:20-bookworm
ARG RUNTIME_BASE=node:20-bookworm-slim
FROM ${BUILD_BASE} AS build
WORKDIR /src/pacer
COPY . .
RUN bash scripts/setup.sh --product \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: Node 20 on Debian 12 slim, plus what the agent itself needs and nothing else:
#   libbpf1   the addon links Debian's libbpf (with libelf1 and zlib1g as its dependencies)
#   iproute2  `ip`/`tc`: the kernel probe (`pacer check`, and the agent at start-up) runs them in a throwaway
#             namespace (src/probe/netns-probes.ts); also for operators inspecting a node from the container
# (the BBR sysctl write goes through the addon: setns and write, no child process)
# The tree keeps the repository's layout under /opt/pacer, which is where the code looks for the BPF object
# (build/bpf/edt.bpf.o) and the addon (native/build/Release/pacer_native.node).
FROM ${RUNTIME_BASE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libbpf1 iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/pacer
ENV NODE_ENV=production
COPY --from=build /src/pacer/package.json ./package.json
COPY --from=build /src/pacer/bin ./bin
COPY --from=build /src/pacer/dist ./dist
COPY --from=build /src/pacer/build/bpf/edt.bpf.o ./build/bpf/edt.bpf.o
COPY --from=build /src/pacer/native/build/Release/pacer_native.node ./native/build/Release/pacer_native.node
COPY --from=build /src/pacer/node_modules ./node_modules
RUN ln -s /opt/pacer/bin/pacer.js /usr/local/bin/pacer \
 && pacer help >/dev/null
# Root, with the capabilities the Helm chart grants (deploy/helm/pacer/values.yaml explains each one).
USER 0
ENTRYPOINT ["pacer"]
CMD ["agent"]
LABEL org.opencontainers.image.title="pacer" \
      org.opencontainers.image.description="Per-Pod bandwidth manager for Kubernetes nodes: eBPF + EDT pacing on fq" \
      org.opencontainers.image.licenses="Apache-2.0"
