#pragma once

// The `dlq` commands of saga-admin. Each writes its results to `out`, problems to `err`, and
// returns the process's exit code: 0, or 1 when something failed.

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace saga::admin {

struct Connection {
  std::string bootstrap = "127.0.0.1:9092";
  std::chrono::milliseconds timeout{10'000};
};

struct ListOptions {
  std::optional<std::string> topic;  ///< a topic or its .dlq; all of the saga's when unset
  std::optional<std::string> key;
  bool json = false;
};
int ListDeadLetters(const Connection& c, const ListOptions& o, std::ostream& out, std::ostream& err);

struct ShowOptions {
  std::optional<std::string> topic;
  std::optional<std::int32_t> partition;
  std::optional<std::int64_t> offset;
  std::optional<std::string> event_id;
  bool json = false;
};
int ShowDeadLetter(const Connection& c, const ShowOptions& o, std::ostream& out, std::ostream& err);

struct RedriveOptions {
  bool all = false;
  std::optional<std::string> topic;
  std::optional<std::string> key;
  bool dry_run = false;
  std::string completion_url;  ///< empty: no look at the sagas
  bool skip_final = false;     ///< leave out the events of sagas already final
};
int RedriveDeadLetters(const Connection& c, const RedriveOptions& o, std::ostream& out, std::ostream& err);

}  // namespace saga::admin
