#include <catch2/catch.hpp>

#include "saga/kafka/consumer.hpp"

using saga::kafka::ParseConsumerLag;

TEST_CASE("Consumer lag is read from every real partition that reports one", "[kafka]") {
  // Shape of librdkafka's statistics document, trimmed to what is read.
  const std::string stats = R"({
    "name": "rdkafka#consumer-1", "type": "consumer",
    "topics": {
      "order.created": {"topic": "order.created", "partitions": {
        "0": {"partition": 0, "consumer_lag": 7},
        "1": {"partition": 1, "consumer_lag": 0},
        "2": {"partition": 2, "consumer_lag": -1},
        "-1": {"partition": -1, "consumer_lag": 99}}},
      "payment.failed": {"topic": "payment.failed", "partitions": {
        "3": {"partition": 3, "consumer_lag": 5}}}
    }})";
  const auto lags = ParseConsumerLag(stats);
  REQUIRE(lags.size() == 3);
  std::int64_t created = 0;
  for (const auto& l : lags) {
    CHECK(l.partition >= 0);
    if (l.topic == "order.created") created += l.lag;
    if (l.topic == "payment.failed") CHECK((l.partition == 3 && l.lag == 5));
  }
  CHECK(created == 7);
}

TEST_CASE("A statistics document without topics has no lag, and broken JSON throws", "[kafka]") {
  CHECK(ParseConsumerLag(R"({"type":"consumer"})").empty());
  CHECK_THROWS(ParseConsumerLag("{not json"));
}
