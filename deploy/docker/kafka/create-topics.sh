#!/bin/bash
# Creates the saga topics and their dead-letter topics (<topic>.dlq) on the compose stack's
# Kafka, the way the development broker does on the local stack. Safe to run again.
#   SAGA_TOPICS        comma-separated topics
#   KAFKA_PARTITIONS   partitions per topic (default 12)
#   KAFKA_BOOTSTRAP    broker address (default kafka:9092)
set -euo pipefail
bootstrap=${KAFKA_BOOTSTRAP:-kafka:9092}
partitions=${KAFKA_PARTITIONS:-12}
: "${SAGA_TOPICS:?SAGA_TOPICS must list the topics to create}"
topics_bin=/opt/kafka/bin/kafka-topics.sh

IFS=, read -r -a topics <<<"$SAGA_TOPICS"
for topic in "${topics[@]}"; do
  for name in "$topic" "$topic.dlq"; do
    "$topics_bin" --bootstrap-server "$bootstrap" --create --if-not-exists \
      --topic "$name" --partitions "$partitions" --replication-factor 1
  done
done
"$topics_bin" --bootstrap-server "$bootstrap" --list
