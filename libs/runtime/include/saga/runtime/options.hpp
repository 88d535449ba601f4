#pragma once

#include <string>
#include <vector>

#include "saga/config/common.hpp"
#include "saga/db/pool.hpp"
#include "saga/http/server.hpp"
#include "saga/kafka/consumer.hpp"
#include "saga/kafka/producer.hpp"

namespace saga::runtime {

/// The common settings turned into each part's options (one place for every service).
db::Options DbOptions(const config::CommonConfig& cfg);
http::ServerOptions HttpOptions(const config::CommonConfig& cfg);
kafka::ProducerOptions ProducerOptions(const config::CommonConfig& cfg, const std::string& client_id);
kafka::ConsumerOptions ConsumerOptions(const config::CommonConfig& cfg, const std::string& group,
                                       std::vector<std::string> topics);

}  // namespace saga::runtime
