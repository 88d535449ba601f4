#include <catch2/catch.hpp>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "saga/kafka/consumer.hpp"
#include "saga/kafka/producer.hpp"
#include "support/stack.hpp"

using namespace saga::kafka;
using saga::test::Bootstrap;
using saga::test::UniqueName;

namespace {

std::vector<OutMessage> Messages(const std::string& topic, int n) {
  std::vector<OutMessage> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({topic, "key-" + std::to_string(i % 3), "value-" + std::to_string(i),
                   {{"event-id", "id-" + std::to_string(i)}}});
  }
  return out;
}

ConsumerOptions Options(const std::string& topic, const std::string& group) {
  return {.bootstrap = Bootstrap(), .group_id = group, .topics = {topic}, .max_batch = 100,
          .poll_wait = std::chrono::milliseconds(200), .extra = {}};
}

std::vector<InMessage> PollUntil(Consumer& c, std::size_t n) {
  std::vector<InMessage> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
    for (auto& m : c.Poll()) got.push_back(std::move(m));
  }
  return got;
}


}  // namespace

TEST_CASE("The producer gets an ack per message and then a consumer sees key value and headers", "[kafka]") {
  const auto topic = UniqueName("it.kafka");
  Producer producer({.bootstrap = Bootstrap()});
  const auto results = producer.SendAndWait(Messages(topic, 9));
  REQUIRE(results.size() == 9);
  for (const auto& r : results) {
    CHECK(r.ok);
    CHECK(r.offset >= 0);
  }
  const auto got = saga::test::ReadTopic(topic, 9, std::chrono::seconds(20));
  REQUIRE(got.size() == 9);
  for (const auto& m : got) {
    const int i = std::stoi(m.value.substr(6));
    CHECK(m.key == "key-" + std::to_string(i % 3));
    CHECK(m.HeaderValue("event-id") == std::optional<std::string>("id-" + std::to_string(i)));
  }
}

TEST_CASE("Offsets are committed only after the handler succeeded", "[kafka]") {
  const auto topic = UniqueName("it.commit");
  const auto group = UniqueName("group");
  Producer producer({.bootstrap = Bootstrap()});
  for (const auto& r : producer.SendAndWait(Messages(topic, 6))) REQUIRE(r.ok);

  std::atomic<bool> stop{false};
  std::atomic<int> calls{0};
  std::atomic<std::size_t> handled{0};
  {
    Consumer consumer(Options(topic, group));
    std::thread runner([&] {
      consumer.Run(
          [&](const std::vector<InMessage>& batch) {
            if (calls++ == 0) throw std::runtime_error("database down");  // first delivery fails
            handled += batch.size();
          },
          stop);
    });
    saga::test::WaitUntil([&] { return handled.load() >= 6; }, std::chrono::seconds(20));
    stop = true;
    runner.join();
  }
  CHECK(calls.load() >= 2);
  CHECK(handled.load() == 6);  // redelivered after the failure, each message handled once

  // The group's committed offsets are past every message: a new member gets nothing old.
  for (const auto& r : producer.SendAndWait({{topic, "k", "after-commit", {}}})) REQUIRE(r.ok);
  Consumer again(Options(topic, group));
  const auto got = PollUntil(again, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].value == "after-commit");
}

TEST_CASE("A failed batch is rewound and delivered again", "[kafka]") {
  const auto topic = UniqueName("it.rewind");
  Producer producer({.bootstrap = Bootstrap()});
  for (const auto& r : producer.SendAndWait(Messages(topic, 4))) REQUIRE(r.ok);
  Consumer consumer(Options(topic, UniqueName("group")));
  const auto first = PollUntil(consumer, 4);
  REQUIRE(first.size() == 4);
  consumer.Rewind(first);
  const auto second = PollUntil(consumer, 4);
  REQUIRE(second.size() == 4);
  std::multiset<std::string> a, b;
  for (const auto& m : first) a.insert(m.value);
  for (const auto& m : second) b.insert(m.value);
  CHECK(a == b);
}

TEST_CASE("A broker outage fails delivery within the timeout and then after it sends succeed", "[kafka][outage]") {
  const auto topic = UniqueName("it.outage");
  Producer producer({.bootstrap = Bootstrap(), .message_timeout_ms = 1500});
  for (const auto& r : producer.SendAndWait(Messages(topic, 1))) REQUIRE(r.ok);
  saga::test::SignalBroker(SIGUSR1);  // brokers down
  const auto failed = producer.SendAndWait(Messages(topic, 2));
  saga::test::SignalBroker(SIGUSR2);  // brokers up
  for (const auto& r : failed) {
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.error.empty());
  }
  bool delivered = saga::test::WaitUntil(
      [&] {
        const auto rs = producer.SendAndWait(Messages(topic, 1));
        return rs[0].ok;
      },
      std::chrono::seconds(30));
  CHECK(delivered);
}

TEST_CASE("Consumer lag reports what the group has not committed, per partition", "[kafka][lag]") {
  const auto topic = UniqueName("it.lag");
  Producer producer({.bootstrap = Bootstrap()});
  for (const auto& r : producer.SendAndWait(Messages(topic, 20))) REQUIRE(r.ok);

  std::mutex mu;
  std::int64_t reported = -1;
  auto options = Options(topic, UniqueName("group"));
  options.lag_interval = std::chrono::milliseconds(200);
  options.on_lag = [&](const std::vector<PartitionLag>& parts) {
    std::int64_t sum = 0;
    for (const auto& p : parts) {
      if (p.topic == topic) sum += p.lag;
    }
    std::lock_guard lock(mu);
    reported = sum;
  };
  Consumer consumer(options);
  const auto got = PollUntil(consumer, 20);
  REQUIRE(got.size() == 20);

  // Commit only the first message of each partition: the lag is everything after those.
  std::map<std::int32_t, InMessage> first;
  for (const auto& m : got) {
    auto [it, inserted] = first.try_emplace(m.partition, m);
    if (!inserted && m.offset < it->second.offset) it->second = m;
  }
  std::vector<InMessage> committed;
  for (const auto& [p, m] : first) committed.push_back(m);
  consumer.Commit(committed);
  const auto expected = static_cast<std::int64_t>(20 - committed.size());

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::int64_t last = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    consumer.Poll();  // statistics are served from inside consume()
    std::lock_guard lock(mu);
    last = reported;
    if (last == expected) break;
  }
  CHECK(last == expected);

  // Committing the rest brings it to zero.
  consumer.Commit(got);
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline2) {
    consumer.Poll();
    std::lock_guard lock(mu);
    last = reported;
    if (last == 0) break;
  }
  CHECK(last == 0);
}

TEST_CASE("Each member reports the partitions it holds after every rebalance", "[kafka][rebalance]") {
  const auto topic = UniqueName("it.assign");
  Producer producer({.bootstrap = Bootstrap()});
  for (const auto& r : producer.SendAndWait(Messages(topic, 20))) REQUIRE(r.ok);
  const auto group = UniqueName("group");
  std::atomic<std::size_t> held_a{0}, held_b{0};
  std::atomic<int> reports_a{0};
  auto options_a = Options(topic, group);
  options_a.on_assigned = [&](std::size_t n) {
    held_a = n;
    ++reports_a;
  };
  Consumer a(options_a);
  const auto until = [](const std::function<bool()>& done, const std::function<void()>& poll) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < deadline) poll();
    return done();
  };
  REQUIRE(until([&] { return held_a > 0; }, [&] { a.Poll(); }));
  const std::size_t all = held_a;
  REQUIRE(all >= 2);  // the topic has several partitions: two members can share it

  auto options_b = Options(topic, group);
  options_b.on_assigned = [&](std::size_t n) { held_b = n; };
  Consumer b(options_b);
  const int before = reports_a;
  CHECK(until([&] { return reports_a > before && held_a > 0 && held_b > 0 && held_a + held_b == all; },
              [&] {
                a.Poll();
                b.Poll();
              }));
  CHECK(held_a < all);
}

TEST_CASE("Messages that arrive while a batch is handled come in later batches, each once", "[kafka]") {
  const auto topic = UniqueName("it.paused");
  Producer producer({.bootstrap = Bootstrap()});
  for (const auto& r : producer.SendAndWait(Messages(topic, 5))) REQUIRE(r.ok);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::multiset<std::string> seen;
  int batches = 0, failed = 0;
  Consumer consumer(Options(topic, UniqueName("group")));
  std::thread runner([&] {
    consumer.Run(
        [&](const std::vector<InMessage>& batch) {
          std::lock_guard lock(mu);
          ++batches;
          if (batches == 1) {
            // Sent while this batch is being handled: they must come in a later batch.
            std::vector<OutMessage> more;
            for (int i = 0; i < 5; ++i) more.push_back({topic, "k", "late-" + std::to_string(i), {}});
            for (const auto& r : producer.SendAndWait(more)) REQUIRE(r.ok);
          }
          if (batches == 2 && failed++ == 0) throw std::runtime_error("fails once");
          for (const auto& m : batch) seen.insert(m.value);
        },
        stop);
  });
  saga::test::WaitUntil(
      [&] {
        std::lock_guard lock(mu);
        return seen.size() >= 10;
      },
      std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // anything extra would show now
  stop = true;
  runner.join();
  std::multiset<std::string> expected;
  for (int i = 0; i < 5; ++i) {
    expected.insert("value-" + std::to_string(i));
    expected.insert("late-" + std::to_string(i));
  }
  CHECK(seen == expected);
  CHECK(failed == 1);
}
