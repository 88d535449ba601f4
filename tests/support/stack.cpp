#include "support/stack.hpp"

#include <cppconn/resultset.h>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <fstream>
#include <stdexcept>

#include "saga/contracts/ids.hpp"
#include "saga/kafka/consumer.hpp"

namespace saga::test {

const config::Env& StackEnv() {
  static const config::Env env = [] {
    const char* path = std::getenv("SAGA_TEST_STACK_ENV");
    if (path == nullptr) throw std::runtime_error("SAGA_TEST_STACK_ENV is not set (run via ctest)");
    return config::Env::FromFile(path);
  }();
  return env;
}

std::string RunDir() {
  const char* path = std::getenv("SAGA_TEST_STACK_ENV");
  if (path == nullptr) throw std::runtime_error("SAGA_TEST_STACK_ENV is not set (run via ctest)");
  return std::filesystem::path(path).parent_path().string();
}

void SignalBroker(int sig) {
  std::ifstream f(RunDir() + "/pids/devbroker.pid");
  pid_t pid = 0;
  f >> pid;
  if (pid <= 0 || kill(pid, sig) != 0) throw std::runtime_error("cannot signal the devbroker");
  // Let the broker act on it before the caller goes on.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

std::string Bootstrap() { return StackEnv().RequiredString("KAFKA_BOOTSTRAP"); }

db::Options AdminDb(const std::string& database) {
  const auto& env = StackEnv();
  db::Options o;
  o.host = env.RequiredString("DB_HOST");
  o.port = static_cast<int>(env.Int("DB_PORT", 3306, 1, 65535));
  o.user = env.RequiredString("DB_ADMIN_USER");
  o.password = env.RequiredString("DB_ADMIN_PASSWORD");
  o.database = database;
  o.pool_size = 16;
  return o;
}

std::string UniqueName(const std::string& prefix) {
  std::string id = contracts::NewUuid();
  return prefix + "_" + id.substr(24, 12);
}

void AdminExec(const std::string& sql) {
  db::Connection conn(AdminDb());
  conn.Execute(sql);
  conn.Commit();
}

ScratchSchema::ScratchSchema(const std::string& source, const std::vector<std::string>& with_rows_of)
    : name_(UniqueName("it")) {
  db::Connection conn(AdminDb());
  conn.Execute("CREATE DATABASE `" + name_ + "`");
  std::vector<std::string> tables;
  {
    auto rs = conn.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = '" +
                         source + "'");
    while (rs->next()) tables.push_back(rs->getString(1).asStdString());
  }
  if (tables.empty()) throw std::runtime_error("schema " + source + " has no tables");
  for (const auto& t : tables) {
    conn.Execute("CREATE TABLE `" + name_ + "`." + t + " LIKE " + source + "." + t);
  }
  for (const auto& t : with_rows_of) {
    conn.Execute("INSERT INTO `" + name_ + "`." + t + " SELECT * FROM " + source + "." + t);
  }
  conn.Commit();
}

ScratchSchema::~ScratchSchema() {
  try {
    AdminExec("DROP DATABASE IF EXISTS `" + name_ + "`");
  } catch (const std::exception&) {
    // Leaving a scratch schema behind is harmless; the test stack is private to this build.
  }
}

long long ScratchSchema::Count(const std::string& table) const {
  db::Connection conn(AdminDb());
  auto rs = conn.Query("SELECT COUNT(*) FROM `" + name_ + "`." + table);
  rs->next();
  const long long n = rs->getInt64(1);
  conn.Commit();
  return n;
}

std::vector<kafka::InMessage> ReadTopicUntil(
    const std::string& topic, const std::function<bool(const std::vector<kafka::InMessage>&)>& done,
    std::chrono::seconds timeout) {
  kafka::Consumer consumer({.bootstrap = Bootstrap(),
                            .group_id = UniqueName("reader"),
                            .topics = {topic},
                            .max_batch = 1000,
                            .poll_wait = std::chrono::milliseconds(200),
                            .extra = {}});
  std::vector<kafka::InMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(out) && std::chrono::steady_clock::now() < deadline) {
    for (auto& m : consumer.Poll()) out.push_back(std::move(m));
  }
  return out;
}


long long ScratchSchema::Scalar(const std::string& sql) const {
  db::Connection conn(Db());
  auto rs = conn.Query(sql);
  const long long v = rs->next() ? rs->getInt64(1) : 0;
  conn.Commit();
  return v;
}

std::vector<contracts::Envelope> ScratchSchema::Outbox() const {
  db::Connection conn(Db());
  auto rs = conn.Query("SELECT envelope FROM outbox ORDER BY id");
  std::vector<contracts::Envelope> out;
  while (rs->next()) out.push_back(contracts::Envelope::Parse(rs->getString(1).asStdString()));
  conn.Commit();
  return out;
}

kafka::InMessage Delivered(const contracts::Envelope& env, std::int64_t offset) {
  kafka::InMessage m;
  m.topic = env.event_type;
  m.offset = offset;
  m.key = env.order_id;
  m.value = env.Serialize();
  m.headers = {{"event-type", env.event_type},
               {"event-id", env.event_id},
               {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  return m;
}

std::vector<kafka::InMessage> ReadTopic(const std::string& topic, std::size_t expected,
                                        std::chrono::seconds timeout) {
  return ReadTopicUntil(topic, [&](const auto& got) { return got.size() >= expected; }, timeout);
}

std::vector<kafka::InMessage> ReadTopicDistinct(const std::string& topic, std::size_t expected,
                                                std::chrono::seconds timeout) {
  std::set<std::string> seen;
  std::size_t counted = 0;
  return ReadTopicUntil(
      topic,
      [&](const auto& got) {
        for (; counted < got.size(); ++counted) {
          seen.insert(got[counted].HeaderValue("event-id").value_or(std::to_string(counted)));
        }
        return seen.size() >= expected;
      },
      timeout);
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace saga::test
