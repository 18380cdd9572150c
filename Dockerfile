# Muster's image: the server binary and the built app, running as uid 1000
# on a read-only root filesystem. Build: docker build -t muster .
# Tool versions must match scripts/setup and Trunk.toml (a test checks).

FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends brotli nodejs npm \
    && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
    && cargo install trunk --version 0.21.14 --locked \
    && cargo install wasm-bindgen-cli --version =0.2.130 \
    && npm install -g binaryen@132 terser@5.51.2
WORKDIR /src
COPY . .
RUN scripts/build-app \
    && cargo build --release --locked -p muster-server

FROM debian:bookworm-slim
COPY --from=build /src/target/release/muster /usr/local/bin/muster
COPY --from=build /src/target/dist /app/dist
ENV MUSTER_ASSETS_DIR=/app/dist
USER 1000:1000
EXPOSE 8080
CMD ["/usr/local/bin/muster"]
