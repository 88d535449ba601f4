#include "saga/admin/commands.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "saga/admin/completion_client.hpp"
#include "saga/admin/dlq.hpp"
#include "saga/admin/dlq_reader.hpp"
#include "saga/contracts/ids.hpp"
#include "saga/contracts/saga.hpp"
#include "saga/kafka/producer.hpp"

namespace saga::admin {
namespace {

constexpr auto kJsonErrors = nlohmann::json::error_handler_t::replace;  // keys and values may not be UTF-8

std::vector<std::string> DlqTopics(const std::optional<std::string>& topic) {
  if (topic) return {DlqTopic(*topic)};
  std::vector<std::string> out;
  for (const auto& t : contracts::Saga().Topics()) out.push_back(DlqTopic(t));
  return out;
}

// The dead letters of `topics` that match `filter`, or nothing after saying why (a topic asked
// for by name that the broker lacks is an error; one of the saga's list is only reported).
std::optional<std::vector<DeadLetter>> Read(const Connection& c, const std::vector<std::string>& topics,
                                            bool named, const Filter& filter, std::ostream& err) {
  const auto read = ReadTopics(c.bootstrap, topics, c.timeout);
  for (const auto& t : read.missing) err << "saga-admin: the broker at " << c.bootstrap << " has no topic " << t << "\n";
  if (named && !read.missing.empty()) return std::nullopt;
  std::vector<DeadLetter> out;
  for (const auto& m : read.messages) {
    auto d = Describe(m);
    if (Matches(filter, d)) out.push_back(std::move(d));
  }
  return out;
}

std::string Summary(const DeadLetter& d) {
  return "key=" + (d.message.key.empty() ? std::string("-") : d.message.key) +
         " type=" + (d.envelope.event_type.empty() ? std::string("-") : d.envelope.event_type) +
         " eventId=" + (d.envelope.event_id.empty() ? std::string("-") : d.envelope.event_id);
}

bool IsSagaTopic(const std::string& topic) {
  const auto topics = contracts::Saga().Topics();
  return std::find(topics.begin(), topics.end(), topic) != topics.end();
}

}  // namespace

int ListDeadLetters(const Connection& c, const ListOptions& o, std::ostream& out, std::ostream& err) {
  const auto topics = DlqTopics(o.topic);
  Filter filter;
  filter.key = o.key;
  const auto letters = Read(c, topics, o.topic.has_value(), filter, err);
  if (!letters) return 1;
  for (const auto& d : *letters) {
    if (o.json) {
      out << ListJson(d).dump(-1, ' ', false, kJsonErrors) << "\n";
    } else {
      out << ListLine(d) << "\n";
    }
  }
  err << "saga-admin: " << letters->size() << " dead letter(s) in " << topics.size() << " DLQ topic(s)\n";
  return 0;
}

int ShowDeadLetter(const Connection& c, const ShowOptions& o, std::ostream& out, std::ostream& err) {
  const bool by_position = o.topic && o.partition && o.offset;
  if (by_position == o.event_id.has_value()) {
    throw std::invalid_argument("give either --topic, --partition and --offset, or --event-id");
  }
  Filter filter;
  filter.event_id = o.event_id;
  if (by_position) {
    filter.dlq_topic = DlqTopic(*o.topic);
    filter.partition = o.partition;
    filter.offset = o.offset;
  }
  const auto letters = Read(c, DlqTopics(o.topic), o.topic.has_value(), filter, err);
  if (!letters) return 1;
  if (letters->empty()) {
    err << "saga-admin: no such dead letter\n";
    return 1;
  }
  bool first = true;
  for (const auto& d : *letters) {
    if (o.json) {
      out << ShowJson(d).dump(-1, ' ', false, kJsonErrors) << "\n";
    } else {
      out << (first ? "" : "\n") << ShowText(d);
    }
    first = false;
  }
  return 0;
}

int RedriveDeadLetters(const Connection& c, const RedriveOptions& o, std::ostream& out, std::ostream& err) {
  if (o.all == (o.topic || o.key)) throw std::invalid_argument("give --all, or --topic and/or --key");
  std::optional<HttpUrl> completion;
  if (!o.completion_url.empty()) completion = ParseHttpUrl(o.completion_url);
  if (o.skip_final && !completion) throw std::invalid_argument("--skip-final needs --completion (or COMPLETION_URL)");

  Filter filter;
  filter.key = o.key;
  const auto letters = Read(c, DlqTopics(o.topic), o.topic.has_value(), filter, err);
  if (!letters) return 1;
  const auto plan = PlanRedrive(*letters, contracts::Saga().Topics());
  for (const auto& [left_out, same] : plan.duplicates) {
    out << "left out " << (*letters)[left_out].Position() << ": the same event as " << (*letters)[same].Position()
        << "\n";
  }

  // Each key's saga, once, before any of its events is redriven.
  int failed = 0;
  std::size_t skipped = 0;
  std::set<std::string> keys_left_out;
  if (completion) {
    std::set<std::string> seen;
    for (const auto i : plan.send) {
      const auto& key = (*letters)[i].message.key;
      if (key.empty() || !seen.insert(key).second) continue;
      try {
        const auto saga = GetSaga(*completion, key, c.timeout);
        if (saga.found && saga.IsFinal()) {
          out << FinalSagaNote(key, saga) << (o.skip_final ? " (left out: --skip-final)" : "") << "\n";
          if (o.skip_final) keys_left_out.insert(key);
        } else if (!saga.found) {
          out << "saga " << key << " is not known to completion yet\n";
        }
      } catch (const std::exception& e) {
        err << "saga-admin: cannot read saga " << key << ": " << e.what() << "\n";
        if (o.skip_final) {
          out << "left out the events of saga " << key << ": whether it is final is unknown\n";
          keys_left_out.insert(key);
          ++failed;
        }
      }
    }
  }

  const auto at = contracts::NowIso8601();
  std::vector<const DeadLetter*> sources;
  std::vector<kafka::OutMessage> messages;
  for (const auto i : plan.send) {
    const auto& d = (*letters)[i];
    if (keys_left_out.count(d.message.key) != 0) {
      ++skipped;
      continue;
    }
    if (!IsSagaTopic(d.source_topic)) {
      out << "FAILED " << d.Position() << ": its source topic '" << d.source_topic << "' is not a saga topic\n";
      ++failed;
      continue;
    }
    sources.push_back(&d);
    messages.push_back(BuildRedrive(d, at));
  }

  if (o.dry_run) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      out << "would redrive " << sources[i]->Position() << " -> " << messages[i].topic << " " << Summary(*sources[i])
          << "\n";
    }
    out << messages.size() << " to redrive, " << skipped + plan.duplicates.size() << " left out (dry run: nothing sent)\n";
    return failed == 0 ? 0 : 1;
  }

  std::vector<kafka::DeliveryResult> results;
  if (!messages.empty()) {
    kafka::ProducerOptions po;
    po.bootstrap = c.bootstrap;
    po.client_id = "saga-admin";
    po.linger_ms = 0;
    po.message_timeout_ms = static_cast<int>(std::max<std::int64_t>(c.timeout.count(), 1000));
    kafka::Producer producer(po);
    results = producer.SendAndWait(messages);
  }
  std::size_t sent = 0;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (r.ok) {
      ++sent;
      out << "redriven " << sources[i]->Position() << " -> " << messages[i].topic << ":" << r.partition << ":"
          << r.offset << " " << Summary(*sources[i]) << "\n";
    } else {
      ++failed;
      out << "FAILED " << sources[i]->Position() << " -> " << messages[i].topic << ": " << r.error << "\n";
    }
  }
  out << sent << " redriven, " << skipped + plan.duplicates.size() << " left out, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace saga::admin
