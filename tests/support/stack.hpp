#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "saga/config/env.hpp"
#include "saga/contracts/envelope.hpp"
#include "saga/db/pool.hpp"
#include "saga/kafka/message.hpp"

namespace saga::test {

/// The test stack's settings (stack.env written by deploy/local/up for the ctest fixture).
const config::Env& StackEnv();
std::string Bootstrap();
/// The fixture stack's run dir (pids/, logs/), i.e. the folder of stack.env.
std::string RunDir();
/// Sends `sig` to the development broker (SIGUSR1: brokers down, SIGUSR2: up).
void SignalBroker(int sig);
/// Admin connection options for the test MariaDB, optionally on one schema.
db::Options AdminDb(const std::string& database = "");
/// A name unique to this run, e.g. it_3f2a9c01.
std::string UniqueName(const std::string& prefix);

/// A fresh schema holding empty copies of a service schema's tables (default order_db);
/// dropped when destroyed. `with_rows_of` also copies those tables' rows (e.g. "products").
class ScratchSchema {
 public:
  explicit ScratchSchema(const std::string& source = "order_db",
                         const std::vector<std::string>& with_rows_of = {});
  ~ScratchSchema();
  const std::string& Name() const { return name_; }
  db::Options Db() const { return AdminDb(name_); }
  /// SELECT COUNT(*) FROM <schema>.<table>
  long long Count(const std::string& table) const;
  /// The first column of the first row of `sql` run in this schema, as an integer.
  long long Scalar(const std::string& sql) const;
  /// The envelopes in this schema's outbox, in id order.
  std::vector<contracts::Envelope> Outbox() const;

 private:
  std::string name_;
};

/// Runs one SQL statement as admin (no result).
void AdminExec(const std::string& sql);

/// Reads `topic` from the beginning with a new consumer group until `expected` messages arrived
/// or `timeout` passed; returns what arrived.
std::vector<kafka::InMessage> ReadTopic(const std::string& topic, std::size_t expected,
                                        std::chrono::seconds timeout);

/// Reads `topic` from the beginning with a new consumer group until `done(messages so far)`
/// holds or `timeout` passed; returns what arrived.
std::vector<kafka::InMessage> ReadTopicUntil(
    const std::string& topic, const std::function<bool(const std::vector<kafka::InMessage>&)>& done,
    std::chrono::seconds timeout);

/// Like ReadTopic, but until `expected` distinct `event-id` headers arrived (duplicates, which
/// at-least-once delivery allows, do not count twice).
std::vector<kafka::InMessage> ReadTopicDistinct(const std::string& topic, std::size_t expected,
                                                std::chrono::seconds timeout);

/// The message a consumer of `env`'s topic would receive (key = orderId, standard headers).
kafka::InMessage Delivered(const contracts::Envelope& env, std::int64_t offset = 0);

/// Polls `pred` every 20 ms until it holds or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace saga::test
