# Test base only (docker/test/docker-up): Debian bookworm (debootstrap, `docker import`) with
# Debian's Java 17 runtime. Stands in for eclipse-temurin:17-jre-noble where no registry is
# reachable; docker/Dockerfile.ingest takes it as JAVA_IMAGE=local/java, JAVA_TAG=17.
FROM local/debian:bookworm

RUN apt-get update -q \
    && apt-get install -y -q --no-install-recommends openjdk-17-jre-headless ca-certificates procps \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
