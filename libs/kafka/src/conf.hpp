#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <memory>

#include "saga/kafka/message.hpp"

namespace saga::kafka::detail {

/// A global RdKafka::Conf with every property set, or KafkaError naming the bad one.
std::unique_ptr<RdKafka::Conf> MakeConf(const Properties& props);

}  // namespace saga::kafka::detail
