#!/usr/bin/env bash
# Test Kafka base: Kafka's kafka-topics.sh without the distribution's script directory.
exec java -Xmx128m -Dlog4j2.configurationFile=file:/opt/kafka/config/log4j2.properties -cp "/opt/kafka/libs/*" org.apache.kafka.tools.TopicCommand "$@"
