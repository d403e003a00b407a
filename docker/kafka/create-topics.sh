#!/usr/bin/env bash
# Creates the bloomstream topics on the compose broker before anything else starts; idempotent.
# The topic list is Topics.all() in schemas/src/main/java/org/bloomstream/schemas/Topics.java, and
# max.message.bytes is ClientSettings.MAX_RECORD_BYTES (ComposeFileTest keeps all three in step).
set -euo pipefail

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:9092}"
PARTITIONS="${PARTITIONS:-4}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
MAX_MESSAGE_BYTES=16777216
TOPICS="cells.raw scans.events cells.accepted cells.dead cells.classified alerts.aml specimens.status specimens.reports specimens.fhir"

for topic in ${TOPICS}; do
  /opt/kafka/bin/kafka-topics.sh --bootstrap-server "${BOOTSTRAP_SERVERS}" \
    --create --if-not-exists --topic "${topic}" \
    --partitions "${PARTITIONS}" --replication-factor "${REPLICATION_FACTOR}" \
    --config "max.message.bytes=${MAX_MESSAGE_BYTES}"
done
/opt/kafka/bin/kafka-topics.sh --bootstrap-server "${BOOTSTRAP_SERVERS}" --list
