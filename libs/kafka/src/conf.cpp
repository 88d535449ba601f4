#include "conf.hpp"

namespace saga::kafka {

std::optional<std::string> InMessage::HeaderValue(const std::string& name) const {
  for (const auto& h : headers) {
    if (h.key == name) return h.value;
  }
  return std::nullopt;
}

namespace detail {

std::unique_ptr<RdKafka::Conf> MakeConf(const Properties& props) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : props) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      throw KafkaError("kafka property " + k + "=" + v + ": " + err);
    }
  }
  return conf;
}

}  // namespace detail
}  // namespace saga::kafka
