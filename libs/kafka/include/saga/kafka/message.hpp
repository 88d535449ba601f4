#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace saga::kafka {

class KafkaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Header {
  std::string key;
  std::string value;
};

/// A message to publish.
struct OutMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<Header> headers;
};

/// A consumed message.
struct InMessage {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<Header> headers;

  std::optional<std::string> HeaderValue(const std::string& name) const;
};

/// librdkafka properties on top of our defaults (e.g. from tests or env).
using Properties = std::map<std::string, std::string>;

}  // namespace saga::kafka
