#include <catch2/catch.hpp>
#include <cppconn/resultset.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "saga/contracts/envelope.hpp"
#include "saga/order/order_service.hpp"
#include "saga/order/order_writer.hpp"
#include "place.hpp"
#include "support/stack.hpp"

using namespace saga::order;
using saga::order::test::Place;
using saga::db::Pool;
using Json = nlohmann::json;

namespace {

PlaceOrderCommand Command(int quantity = 2) {
  return ParsePlaceOrder(Json{{"userId", 3},
                              {"items", Json::array({Json{{"productId", 1}, {"quantity", quantity}},
                                                     Json{{"productId", 2}, {"quantity", 1}}})}});
}

}  // namespace

TEST_CASE("An order, its items and its order.created are written in one transaction", "[order]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  const auto result = Place(service, NewOrder{Command(), std::nullopt, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"});
  CHECK_FALSE(result.replayed);
  CHECK(schema.Count("orders") == 1);
  CHECK(schema.Count("order_items") == 2);
  REQUIRE(schema.Count("outbox") == 1);

  saga::db::Connection conn(schema.Db());
  auto rs = conn.Query("SELECT envelope, order_id, traceparent FROM outbox");
  REQUIRE(rs->next());
  const auto env = saga::contracts::Envelope::Parse(rs->getString(1).asStdString());
  CHECK(env.event_type == "order.created");
  CHECK(env.order_id == result.order_id);
  CHECK(rs->getString(2).asStdString() == result.order_id);
  CHECK(rs->getString(3).asStdString().substr(3, 32) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(env.payload == Json::parse(R"({"userId":3,"items":[{"productId":1,"quantity":2},{"productId":2,"quantity":1}]})"));

  const auto view = service.Get(result.order_id);
  REQUIRE(view);
  CHECK(view->status == "PENDING");
  CHECK(view->items.size() == 2);
  CHECK(view->created_at.back() == 'Z');
  CHECK_FALSE(service.Get(saga::contracts::NewUuid()).has_value());
}

TEST_CASE("Uncommitted PlaceOrders leave neither order nor outbox row", "[order]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  {
    auto lease = pool.Acquire();
    saga::db::Transaction tx(*lease);
    const NewOrder order{Command(), std::string("key-rollback"), ""};
    PlaceOrders(tx, {&order});
  }
  CHECK(schema.Count("orders") == 0);
  CHECK(schema.Count("order_items") == 0);
  CHECK(schema.Count("outbox") == 0);
  CHECK(schema.Count("idempotency_keys") == 0);
}

TEST_CASE("An Idempotency-Key replays the same order and refuses another body", "[order][idempotency]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  const auto first = Place(service, NewOrder{Command(), std::string("k-1"), ""});
  const auto again = Place(service, NewOrder{Command(), std::string("k-1"), ""});
  CHECK(again.replayed);
  CHECK(again.order_id == first.order_id);
  CHECK_THROWS_AS(Place(service, NewOrder{Command(5), std::string("k-1"), ""}), IdempotencyConflict);
  const auto other = Place(service, NewOrder{Command(), std::string("k-2"), ""});
  CHECK(other.order_id != first.order_id);
  CHECK(schema.Count("orders") == 2);
  CHECK(schema.Count("outbox") == 2);
}

TEST_CASE("Concurrent requests with one Idempotency-Key create one order", "[order][idempotency]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  constexpr int kThreads = 16;
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        ids[i] = Place(service, NewOrder{Command(), std::string("same-key"), ""}).order_id;
      } catch (const std::exception&) {
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors.load() == 0);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1);
  CHECK(schema.Count("orders") == 1);
  CHECK(schema.Count("outbox") == 1);
}

namespace {

NewOrder Keyed(std::string key, int quantity = 2) {
  return NewOrder{Command(quantity), std::move(key), ""};
}

// Holds `key`'s idempotency row in an open transaction, so a batch writing that key waits.
struct KeyBlocker {
  explicit KeyBlocker(const saga::db::Options& db, const std::string& key) : conn(db) {
    conn.Execute("INSERT INTO idempotency_keys (idem_key, request, order_id, created_at) VALUES ('" + key +
                 "', 'x', 'blocker', UTC_TIMESTAMP(3))");
  }
  void Release() { conn.Rollback(); }
  saga::db::Connection conn;
};

void WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(done());
}

// Places `first`, whose key `blocker` holds, so its batch waits; queues every order of `later`
// behind it, each from its own thread; then releases the key and waits for all. place(order, i)
// places one order, i = 0 for `first` and i + 1 for later[i].
void PlaceBehindStalledBatch(OrderWriter& writer, KeyBlocker& blocker, const NewOrder& first,
                             const std::vector<NewOrder>& later,
                             const std::function<void(const NewOrder&, std::size_t)>& place) {
  std::vector<std::thread> threads;
  threads.emplace_back([&] { place(first, 0); });
  WaitUntil([&] { return writer.Writing() == 1 && writer.Queued() == 0; });  // its batch waits on the lock
  for (std::size_t i = 0; i < later.size(); ++i) {
    threads.emplace_back([&, i] { place(later[i], i + 1); });
  }
  WaitUntil([&] { return writer.Queued() == later.size(); });
  blocker.Release();
  for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("PlaceOrders writes a batch: new orders, a replay and a conflict each get their outcome",
          "[order][batch]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool);
  const auto earlier = Place(service, NewOrder{Command(), std::string("taken"), ""});

  const auto replay = Keyed("taken");
  const auto conflict = Keyed("taken-too", 7);
  const auto keyed = Keyed("new-key", 3);
  const NewOrder plain{Command(4), std::nullopt, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"};
  Place(service, NewOrder{Command(), std::string("taken-too"), ""});

  std::vector<PlaceOutcome> outcomes;
  {
    auto lease = pool.Acquire();
    saga::db::Transaction tx(*lease);
    outcomes = PlaceOrders(tx, {&plain, &replay, &keyed, &conflict});
    tx.Commit();
  }
  REQUIRE(outcomes.size() == 4);
  const auto& first = std::get<PlaceOrderResult>(outcomes[0]);
  CHECK_FALSE(first.replayed);
  const auto& second = std::get<PlaceOrderResult>(outcomes[1]);
  CHECK(second.replayed);
  CHECK(second.order_id == earlier.order_id);
  const auto& third = std::get<PlaceOrderResult>(outcomes[2]);
  CHECK_FALSE(third.replayed);
  CHECK(std::holds_alternative<IdempotencyConflict>(outcomes[3]));

  CHECK(schema.Count("orders") == 4);  // two earlier, two from the batch
  CHECK(schema.Count("outbox") == 4);
  CHECK(schema.Count("order_items") == 8);
  REQUIRE(service.Get(first.order_id));
  CHECK(service.Get(first.order_id)->items.front().quantity == 4);
  CHECK(service.Get(third.order_id)->items.front().quantity == 3);
  // Each order's event carries its own order, payload and traceparent.
  saga::db::Connection conn(schema.Db());
  auto rs = conn.Query("SELECT envelope, traceparent FROM outbox WHERE order_id = '" + first.order_id + "'");
  REQUIRE(rs->next());
  CHECK(saga::contracts::Envelope::Parse(rs->getString(1).asStdString()).payload["items"][0]["quantity"] == 4);
  CHECK(rs->getString(2).asStdString() == plain.traceparent);
  auto key_rs = conn.Query("SELECT order_id FROM idempotency_keys WHERE idem_key = 'new-key'");
  REQUIRE(key_rs->next());
  CHECK(key_rs->getString(1).asStdString() == third.order_id);
}

TEST_CASE("PlaceOrders refuses one Idempotency-Key twice in a batch and writes nothing", "[order][batch]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  const auto a = Keyed("dup");
  const auto b = Keyed("dup");
  const auto c = Keyed("other");
  auto lease = pool.Acquire();
  saga::db::Transaction tx(*lease);
  CHECK_THROWS_AS(PlaceOrders(tx, {&c, &a, &b}), std::invalid_argument);
  tx.Commit();  // what was written before the refusal would now be visible
  CHECK(schema.Count("idempotency_keys") == 0);
  CHECK(schema.Count("orders") == 0);
}

TEST_CASE("OrderWriter writes the orders that queue behind a running batch in one transaction",
          "[order][batch]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  std::atomic<int> committed{0};  // the relay hint hook: once per committed transaction
  OrderWriter writer(pool, 32, 1, [&committed] { ++committed; });
  KeyBlocker blocker(schema.Db(), "first");

  // The first order's batch waits on the blocked key; ten more queue meanwhile, two of them
  // with one key: the second of those must wait for a batch of its own.
  const auto first = Keyed("first");
  std::vector<NewOrder> later;
  for (int i = 0; i < 8; ++i) later.push_back(Keyed("later-" + std::to_string(i)));
  later.push_back(Keyed("dup"));
  later.push_back(Keyed("dup"));
  std::vector<PlaceOrderResult> results(later.size() + 1);
  PlaceBehindStalledBatch(writer, blocker, first, later,
                          [&](const NewOrder& order, std::size_t i) { results[i] = Place(writer, order); });

  CHECK(writer.Transactions() == 3);  // the first; eight new keys and "dup"; "dup" again
  CHECK(committed.load() == 3);       // each ran before its orders' callbacks
  CHECK(schema.Count("orders") == 10);
  CHECK(schema.Count("outbox") == 10);
  CHECK(results[9].order_id == results[10].order_id);
  CHECK(results[9].replayed + results[10].replayed == 1);
  std::set<std::string> ids;
  for (const auto& r : results) ids.insert(r.order_id);
  CHECK(ids.size() == 10);
}

TEST_CASE("OrderWriter: an order the database refuses fails alone and the rest of its batch is written",
          "[order][batch]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderWriter writer(pool, 32, 1);
  KeyBlocker blocker(schema.Db(), "first");

  const auto first = Keyed("first");
  std::vector<NewOrder> later;
  for (int i = 0; i < 4; ++i) later.push_back(Keyed("ok-" + std::to_string(i)));
  later.push_back(Keyed("bad"));
  later.back().cmd.coupon_id = std::string(65, 'c');  // longer than the column: refused
  std::vector<std::string> outcome(later.size() + 1);
  PlaceBehindStalledBatch(writer, blocker, first, later, [&](const NewOrder& order, std::size_t i) {
    try {
      outcome[i] = Place(writer, order).order_id;
    } catch (const saga::db::Error&) {
      outcome[i] = "error";
    }
  });

  CHECK(outcome.back() == "error");
  for (std::size_t i = 0; i + 1 < outcome.size(); ++i) CHECK(outcome[i].size() == 36);
  CHECK(schema.Count("orders") == 5);
  CHECK(schema.Count("outbox") == 5);
  CHECK(schema.Count("idempotency_keys") == 5);
}

TEST_CASE("OrderWriter with two batches in flight: a stalled batch does not hold up later orders",
          "[order][batch]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderWriter writer(pool, 32, 2);
  KeyBlocker blocker(schema.Db(), "first");
  const auto first = Keyed("first");
  std::thread stalled([&] { Place(writer, first); });
  WaitUntil([&] { return writer.Writing() == 1 && writer.Queued() == 0; });  // its batch waits on the lock
  for (int i = 0; i < 5; ++i) Place(writer, Keyed("next-" + std::to_string(i)));
  CHECK(schema.Count("orders") == 5);  // written while the first batch still waits
  blocker.Release();
  stalled.join();
  CHECK(schema.Count("orders") == 6);
  CHECK(writer.Transactions() == 6);
}

TEST_CASE("Many concurrent callers: every order written once, shared keys give one order each",
          "[order][batch][idempotency]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  OrderService service(pool, 8);
  constexpr int kThreads = 48;
  std::vector<std::string> ids(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 5; ++round) {
        // Threads 0..23 share six keys per round; 24..47 have their own.
        const auto key = i < 24 ? "shared-" + std::to_string(round) + "-" + std::to_string(i % 6)
                                : "own-" + std::to_string(round) + "-" + std::to_string(i);
        const auto id = Place(service, NewOrder{Command(), key, ""}).order_id;
        if (round == 0) ids[i] = id;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(schema.Count("orders") == 5 * (6 + 24));
  CHECK(schema.Count("outbox") == 5 * (6 + 24));
  CHECK(schema.Count("order_items") == 2 * 5 * (6 + 24));
  for (int i = 0; i < 24; ++i) CHECK(ids[i] == ids[i % 6]);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 6 + 24);
}
