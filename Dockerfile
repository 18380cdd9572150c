# Muster's image: both binaries (`muster`, `muster-check`), statically
# linked against musl, and the built app on an empty base, running as uid
# 1000 (the chart adds a read-only root filesystem). Build:
# docker build -t muster .
# Without a Docker engine, `./dev image` (scripts/build-image, buildah)
# builds the same final stage; a test keeps the two in step, and tool
# versions must match scripts/setup and Trunk.toml (a test checks).

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends brotli musl-tools nodejs npm \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown x86_64-unknown-linux-musl \
    && cargo install trunk --version 0.21.14 --locked \
    && cargo install wasm-bindgen-cli --version =0.2.130 \
    && npm install -g binaryen@132 terser@5.51.2
WORKDIR /src
COPY . .
RUN scripts/build-app \
    && cargo build --profile image --locked --target x86_64-unknown-linux-musl \
        -p muster-server -p muster-check

FROM scratch
COPY --from=build /src/target/x86_64-unknown-linux-musl/image/muster /usr/local/bin/muster
COPY --from=build /src/target/x86_64-unknown-linux-musl/image/muster-check /usr/local/bin/muster-check
COPY --from=build /src/target/dist /app/dist
ENV MUSTER_ASSETS_DIR=/app/dist
USER 1000:1000
EXPOSE 8080
CMD ["/usr/local/bin/muster"]
