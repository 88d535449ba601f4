// The relay binary against a scratch schema's outbox and a scratch topic on the dev broker.
#include <catch2/catch.hpp>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "saga/outbox/outbox.hpp"
#include "saga/outbox/wake.hpp"
#include "support/process.hpp"
#include "support/stack.hpp"

using saga::contracts::Envelope;
using saga::test::Process;
using saga::test::ScratchSchema;

namespace {

constexpr auto kRelayBin = SAGA_BINARY_DIR "/services/relay/relay-service";

struct Published {
  std::vector<std::string> event_ids;            // in insertion (= outbox id) order
  std::map<std::string, std::string> key_of;     // eventId -> orderId
};

/// Appends `n` events for `keys` order ids, `per_tx` per transaction, in a known order.
Published Insert(ScratchSchema& schema, const std::string& topic, int n, int keys, int per_tx = 10,
                 int offset = 0) {
  saga::db::Pool pool(schema.Db());
  Published p;
  for (int start = 0; start < n; start += per_tx) {
    saga::db::InTransaction(pool, [&](saga::db::Transaction& tx) {
      for (int i = start; i < std::min(n, start + per_tx); ++i) {
        const std::string key = "order-" + std::to_string((offset + i) % keys);
        auto e = Envelope::New(topic, key, {{"seq", offset + i}});
        saga::outbox::Append(tx, e, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        p.event_ids.push_back(e.event_id);
        p.key_of[e.event_id] = key;
      }
      tx.Commit();
    });
  }
  return p;
}

std::unique_ptr<Process> StartRelay(const ScratchSchema& schema, const std::string& name,
                                    std::map<std::string, std::string> extra = {}) {
  const auto db = schema.Db();
  std::map<std::string, std::string> env{
      {"HTTP_BIND", "127.0.0.1"},       {"HTTP_PORT", "0"},
      {"DB_HOST", db.host},             {"DB_PORT", std::to_string(db.port)},
      {"DB_USER", db.user},             {"DB_PASSWORD", db.password},
      {"RELAY_SCHEMAS", schema.Name()}, {"KAFKA_BOOTSTRAP", saga::test::Bootstrap()},
      {"RELAY_IDLE_MAX_MS", "5"},       {"RELAY_LOCK_RETRY_MS", "100"}};
  for (auto& [k, v] : extra) env[k] = v;
  const std::string logs = SAGA_BINARY_DIR "/test-logs";
  std::filesystem::create_directories(logs);
  return std::make_unique<Process>(kRelayBin, env, logs + "/" + schema.Name() + "-" + name + ".log");
}

bool Drained(ScratchSchema& schema) {
  return saga::test::WaitUntil([&] { return schema.Count("outbox") == 0; }, std::chrono::seconds(30));
}

/// Checks the consumed messages against what was inserted: nothing lost, and per order id the
/// first appearance of each event follows insertion order. Returns copies per eventId.
std::map<std::string, int> CheckNothingLostOrReordered(const Published& p,
                                                       const std::vector<saga::kafka::InMessage>& got) {
  std::map<std::string, int> copies;
  std::map<std::string, std::vector<std::string>> first_seen_by_key;
  for (const auto& m : got) {
    const auto env = Envelope::Parse(m.value);
    CHECK(m.key == env.order_id);
    CHECK(m.HeaderValue("event-id") == std::optional<std::string>(env.event_id));
    CHECK(m.HeaderValue("event-type") == std::optional<std::string>(env.event_type));
    CHECK(m.HeaderValue("traceparent").value_or("").substr(0, 36) ==
          "00-0af7651916cd43dd8448eb211c80319c-");
    if (copies[env.event_id]++ == 0) first_seen_by_key[m.key].push_back(env.event_id);
  }
  std::map<std::string, std::vector<std::string>> inserted_by_key;
  for (const auto& id : p.event_ids) inserted_by_key[p.key_of.at(id)].push_back(id);
  CHECK(copies.size() == p.event_ids.size());
  for (const auto& [key, ids] : inserted_by_key) {
    INFO("order id " << key);
    CHECK(first_seen_by_key[key] == ids);
  }
  return copies;
}

}  // namespace

TEST_CASE("The relay publishes outbox rows in order with key and headers then deletes them", "[relay]") {
  ScratchSchema schema;
  const auto topic = saga::test::UniqueName("it.relay");
  const auto published = Insert(schema, topic, 200, 20);
  auto relay = StartRelay(schema, "a");
  REQUIRE(Drained(schema));
  const auto got = saga::test::ReadTopic(topic, 200, std::chrono::seconds(30));
  const auto copies = CheckNothingLostOrReordered(published, got);
  for (const auto& [id, n] : copies) CHECK(n == 1);
  relay->Signal(SIGTERM);
  CHECK(relay->Wait(std::chrono::seconds(20)) == std::optional<int>(0));
}

TEST_CASE("A relay killed between publish and delete publishes the same events again", "[relay][crash]") {
  ScratchSchema schema;
  const auto topic = saga::test::UniqueName("it.crash");
  const auto published = Insert(schema, topic, 30, 5);
  {
    auto crashing = StartRelay(schema, "crash", {{"RELAY_FAILPOINT", "after_publish"}});
    REQUIRE(crashing->Wait(std::chrono::seconds(30)) == std::optional<int>(86));
  }
  CHECK(schema.Count("outbox") == 30);  // acknowledged by the broker, but not deleted
  auto relay = StartRelay(schema, "restart");
  REQUIRE(Drained(schema));
  const auto got = saga::test::ReadTopic(topic, 60, std::chrono::seconds(30));
  const auto copies = CheckNothingLostOrReordered(published, got);
  for (const auto& [id, n] : copies) CHECK(n == 2);  // same eventId twice: consumers dedupe
}

TEST_CASE("Two relays on one outbox lose and reorder nothing across a leader crash", "[relay][ha]") {
  ScratchSchema schema;
  const auto topic = saga::test::UniqueName("it.ha");
  auto first = StartRelay(schema, "first");
  auto all = Insert(schema, topic, 100, 25);
  REQUIRE(Drained(schema));  // `first` holds the lock
  auto second = StartRelay(schema, "second");
  for (int round = 1; round < 10; ++round) {
    const auto more = Insert(schema, topic, 100, 25, 10, round * 100);
    all.event_ids.insert(all.event_ids.end(), more.event_ids.begin(), more.event_ids.end());
    all.key_of.insert(more.key_of.begin(), more.key_of.end());
    if (round == 5) first->Signal(SIGKILL);  // the leader dies mid-stream; `second` takes over
  }
  REQUIRE(Drained(schema));
  const auto got = saga::test::ReadTopicDistinct(topic, 1000, std::chrono::seconds(30));
  CheckNothingLostOrReordered(all, got);
  CHECK(second->Running());
}

TEST_CASE("During a broker outage the relay keeps its rows and publishes them afterwards", "[relay][outage]") {
  ScratchSchema schema;
  const auto topic = saga::test::UniqueName("it.brokerdown");
  auto relay = StartRelay(schema, "outage", {{"RELAY_MESSAGE_TIMEOUT_MS", "1000"}});
  const auto warmup = Insert(schema, topic, 1, 1);
  REQUIRE(Drained(schema));

  saga::test::SignalBroker(SIGUSR1);
  auto published = Insert(schema, topic, 20, 4, 10, 1);
  // The relay tries, fails (timeouts) and backs off; the rows must stay.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const auto kept = schema.Count("outbox");
  saga::test::SignalBroker(SIGUSR2);
  CHECK(kept == 20);
  REQUIRE(Drained(schema));
  published.event_ids.insert(published.event_ids.begin(), warmup.event_ids.begin(), warmup.event_ids.end());
  published.key_of.insert(warmup.key_of.begin(), warmup.key_of.end());
  const auto got = saga::test::ReadTopicDistinct(topic, 21, std::chrono::seconds(30));
  CheckNothingLostOrReordered(published, got);
  CHECK(relay->Running());
}

TEST_CASE("A wake-up hint starts the next relay pass at once instead of after its pause", "[relay][wake]") {
  ScratchSchema schema;
  const auto topic = saga::test::UniqueName("it.wake");
  int port = 0;
  {
    saga::outbox::WakeListener probe("127.0.0.1:0");  // a free UDP port for the relay's hints
    port = probe.Port();
  }
  const auto address = "127.0.0.1:" + std::to_string(port);
  auto published = Insert(schema, topic, 1, 1);
  auto relay = StartRelay(schema, "wake", {{"RELAY_BUSY_PAUSE_MS", "60000"},
                                           {"RELAY_WAKE_BIND", address},
                                           {"RELAY_WAKE_MIN_GAP_MS", "0"}});
  REQUIRE(Drained(schema));  // its pass published one row: the worker now pauses for 60 s

  const auto more = Insert(schema, topic, 5, 1, 5, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(schema.Count("outbox") == 5);  // the pause holds without a hint

  // A hint for another schema changes nothing; one for this schema ends the pause.
  saga::outbox::WakeSender other(address, "some_other_db");
  other.Notify();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(schema.Count("outbox") == 5);
  saga::outbox::WakeSender wake(address, schema.Name());
  wake.Notify();
  CHECK(saga::test::WaitUntil([&] { return schema.Count("outbox") == 0; }, std::chrono::seconds(20)));

  published.event_ids.insert(published.event_ids.end(), more.event_ids.begin(), more.event_ids.end());
  published.key_of.insert(more.key_of.begin(), more.key_of.end());
  const auto got = saga::test::ReadTopic(topic, 6, std::chrono::seconds(30));
  const auto copies = CheckNothingLostOrReordered(published, got);
  for (const auto& [id, n] : copies) CHECK(n == 1);
  relay->Signal(SIGTERM);
  CHECK(relay->Wait(std::chrono::seconds(20)) == std::optional<int>(0));
}
