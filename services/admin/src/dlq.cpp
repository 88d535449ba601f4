#include "saga/admin/dlq.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <numeric>
#include <sstream>
#include <tuple>

namespace saga::admin {
namespace {

constexpr std::string_view kDlqSuffix = ".dlq";

template <typename T>
T NumberOr(const std::optional<std::string>& text, T fallback) {
  if (!text) return fallback;
  T value{};
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  return ec == std::errc() && ptr == end ? value : fallback;
}

std::string StringField(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }

// An error text on one line, so that a listing keeps one dead letter per line.
std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

nlohmann::json StringOrNull(const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); }

template <typename T>
nlohmann::json NumberOrNull(T n) {
  return n < 0 ? nlohmann::json() : nlohmann::json(n);
}

bool IsAddedByDlq(const std::string& header) {
  if (header == kRedrivenHeader) return true;
  return std::find(std::begin(kDlqHeaders), std::end(kDlqHeaders), header) != std::end(kDlqHeaders);
}

}  // namespace

std::string DlqTopic(std::string_view topic) {
  if (topic.ends_with(kDlqSuffix)) return std::string(topic);
  return std::string(topic) + std::string(kDlqSuffix);
}

EnvelopeFields ParseEnvelopeFields(std::string_view value) {
  EnvelopeFields out;
  const auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  out.is_json = true;
  out.event_id = StringField(j, "eventId");
  out.event_type = StringField(j, "eventType");
  out.order_id = StringField(j, "orderId");
  return out;
}

std::string DeadLetter::Position() const {
  return message.topic + ":" + std::to_string(message.partition) + ":" + std::to_string(message.offset);
}

std::string DeadLetter::SourcePosition() const {
  return source_topic + ":" + (source_partition < 0 ? "?" : std::to_string(source_partition)) + ":" +
         (source_offset < 0 ? "?" : std::to_string(source_offset));
}

DeadLetter Describe(kafka::InMessage message) {
  DeadLetter d;
  d.message = std::move(message);
  const auto& m = d.message;
  const auto source = m.HeaderValue("source-topic");
  if (source && !source->empty()) {
    d.source_topic = *source;
  } else {
    d.source_topic = m.topic.ends_with(kDlqSuffix) ? m.topic.substr(0, m.topic.size() - kDlqSuffix.size()) : m.topic;
  }
  d.source_partition = NumberOr<std::int32_t>(m.HeaderValue("source-partition"), -1);
  d.source_offset = NumberOr<std::int64_t>(m.HeaderValue("source-offset"), -1);
  d.consumer = m.HeaderValue("consumer").value_or("");
  d.error = m.HeaderValue("error").value_or("");
  d.redriven = m.HeaderValue(std::string(kRedrivenHeader)).value_or("");
  d.envelope = ParseEnvelopeFields(m.value);
  return d;
}

bool Matches(const Filter& f, const DeadLetter& d) {
  if (f.dlq_topic && d.message.topic != *f.dlq_topic) return false;
  if (f.key && d.message.key != *f.key) return false;
  if (f.event_id && d.envelope.event_id != *f.event_id) return false;
  if (f.partition && d.message.partition != *f.partition) return false;
  if (f.offset && d.message.offset != *f.offset) return false;
  return true;
}

RedrivePlan PlanRedrive(const std::vector<DeadLetter>& letters, const std::vector<std::string>& topic_order) {
  auto rank = [&](const std::string& topic) {
    const auto it = std::find(topic_order.begin(), topic_order.end(), topic);
    return static_cast<std::size_t>(it - topic_order.begin());  // unknown topics: size(), after the known
  };
  using Order = std::tuple<const std::string&, std::size_t, const std::string&, std::int32_t, std::int64_t,
                           const std::string&, std::int32_t, std::int64_t>;
  auto order = [&](const DeadLetter& d) {
    const auto& m = d.message;
    return Order(m.key, rank(d.source_topic), d.source_topic, d.source_partition, d.source_offset, m.topic,
                 m.partition, m.offset);
  };
  std::vector<std::size_t> sorted(letters.size());
  std::iota(sorted.begin(), sorted.end(), std::size_t{0});
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](std::size_t a, std::size_t b) { return order(letters[a]) < order(letters[b]); });

  RedrivePlan plan;
  std::map<std::pair<std::string, std::string>, std::size_t> chosen;  // (source topic, event) -> index
  for (const auto i : sorted) {
    const auto& d = letters[i];
    std::string event;
    if (!d.envelope.event_id.empty()) {
      event = "id " + d.envelope.event_id;
    } else if (d.source_partition >= 0 && d.source_offset >= 0) {
      event = "at " + d.SourcePosition();
    }
    if (!event.empty()) {
      const auto [it, fresh] = chosen.try_emplace({d.source_topic, event}, i);
      if (!fresh) {
        plan.duplicates.emplace_back(i, it->second);
        continue;
      }
    }
    plan.send.push_back(i);
  }
  return plan;
}

kafka::OutMessage BuildRedrive(const DeadLetter& d, std::string_view at) {
  kafka::OutMessage out{d.source_topic, d.message.key, d.message.value, {}};
  for (const auto& h : d.message.headers) {
    if (!IsAddedByDlq(h.key)) out.headers.push_back(h);
  }
  out.headers.push_back({std::string(kRedrivenHeader), d.Position() + "@" + std::string(at)});
  return out;
}

std::string ListLine(const DeadLetter& d) {
  std::string line = d.Position() + " key=" + OrDash(d.message.key) + " type=" + OrDash(d.envelope.event_type) +
                     " eventId=" + OrDash(d.envelope.event_id) + " source=" + d.SourcePosition() +
                     " consumer=" + OrDash(d.consumer);
  if (!d.envelope.is_json) line += " value=not-json";
  if (!d.redriven.empty()) line += " redriven=" + d.redriven;
  return line + " error=" + OneLine(d.error);
}

nlohmann::json ListJson(const DeadLetter& d) {
  return {{"dlqTopic", d.message.topic},
          {"partition", d.message.partition},
          {"offset", d.message.offset},
          {"key", d.message.key},
          {"eventType", StringOrNull(d.envelope.event_type)},
          {"eventId", StringOrNull(d.envelope.event_id)},
          {"valueIsJson", d.envelope.is_json},
          {"sourceTopic", d.source_topic},
          {"sourcePartition", NumberOrNull(d.source_partition)},
          {"sourceOffset", NumberOrNull(d.source_offset)},
          {"consumer", StringOrNull(d.consumer)},
          {"error", d.error},
          {"redriven", StringOrNull(d.redriven)}};
}

std::string ShowText(const DeadLetter& d) {
  std::ostringstream out;
  out << "dead letter  " << d.Position() << "\n"
      << "key          " << OrDash(d.message.key) << "\n"
      << "event        " << OrDash(d.envelope.event_type) << " eventId " << OrDash(d.envelope.event_id) << "\n"
      << "source       " << d.SourcePosition() << "\n"
      << "consumer     " << OrDash(d.consumer) << "\n"
      << "error        " << d.error << "\n";
  if (!d.redriven.empty()) out << "redriven     " << d.redriven << "\n";
  out << "headers\n";
  for (const auto& h : d.message.headers) out << "  " << h.key << ": " << h.value << "\n";
  const auto value = nlohmann::json::parse(d.message.value, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    out << "value (not JSON, " << d.message.value.size() << " bytes)\n" << d.message.value << "\n";
  } else {
    out << "value\n" << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return out.str();
}

nlohmann::json ShowJson(const DeadLetter& d) {
  auto j = ListJson(d);
  auto headers = nlohmann::json::array();
  for (const auto& h : d.message.headers) headers.push_back({{"key", h.key}, {"value", h.value}});
  j["headers"] = std::move(headers);
  const auto value = nlohmann::json::parse(d.message.value, nullptr, /*allow_exceptions=*/false);
  j["value"] = value.is_discarded() ? nlohmann::json(d.message.value) : value;
  return j;
}

}  // namespace saga::admin
