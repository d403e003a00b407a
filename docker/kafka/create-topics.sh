#!/usr/bin/env bash
# Creates the bloomstream topics on the compose broker before anything else starts; idempotent.
# The topic list is Topics.all() in schemas/src/main/java/org/bloomstream/schemas/Topics.java, and
# max.message.bytes is ClientSettings.MAX_RECORD_BYTES (ComposeFileTest keeps all three in step).
set -euo pipefail

BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka:9092}"
# Where kafka-topics.sh lives: KAFKA_BIN if set, else /opt/kafka/bin (the apache/kafka image), else
# whatever kafka-topics.sh (or Debian/Confluent's kafka-topics) is on the PATH.
if [ -n "${KAFKA_BIN:-}" ]; then
  KAFKA_TOPICS="${KAFKA_BIN%/}/kafka-topics.sh"
elif [ -x /opt/kafka/bin/kafka-topics.sh ]; then
  KAFKA_TOPICS=/opt/kafka/bin/kafka-topics.sh
else
  KAFKA_TOPICS="$(command -v kafka-topics.sh || command -v kafka-topics || true)"
fi
if [ -z "${KAFKA_TOPICS}" ] || [ ! -x "${KAFKA_TOPICS}" ]; then
  echo "create-topics.sh: kafka-topics.sh not found; set KAFKA_BIN to Kafka's bin directory" >&2
  exit 2
fi
PARTITIONS="${PARTITIONS:-4}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
MAX_MESSAGE_BYTES=16777216
TOPICS="cells.raw scans.events cells.accepted cells.dead cells.classified alerts.aml specimens.status specimens.reports specimens.fhir scanners.drift"

for topic in ${TOPICS}; do
  "${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP_SERVERS}" \
    --create --if-not-exists --topic "${topic}" \
    --partitions "${PARTITIONS}" --replication-factor "${REPLICATION_FACTOR}" \
    --config "max.message.bytes=${MAX_MESSAGE_BYTES}"
done
"${KAFKA_TOPICS}" --bootstrap-server "${BOOTSTRAP_SERVERS}" --list
