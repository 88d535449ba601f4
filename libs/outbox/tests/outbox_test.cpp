#include <catch2/catch.hpp>
#include <cppconn/resultset.h>

#include "saga/outbox/outbox.hpp"
#include "support/stack.hpp"

using saga::contracts::Envelope;
using saga::db::InTransaction;
using saga::db::Pool;
using saga::db::Transaction;

TEST_CASE("An outbox row commits with the transaction and carries the envelope", "[outbox]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  const auto event = Envelope::New("order.created", "order-7", {{"userId", 1}});
  InTransaction(pool, [&](Transaction& tx) {
    saga::outbox::Append(tx, event, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    tx.Commit();
  });
  saga::db::Connection conn(schema.Db());
  auto rs = conn.Query("SELECT event_id, event_type, order_id, envelope, traceparent FROM outbox");
  REQUIRE(rs->next());
  CHECK(rs->getString(1).asStdString() == event.event_id);
  CHECK(rs->getString(2).asStdString() == "order.created");
  CHECK(rs->getString(3).asStdString() == "order-7");
  CHECK(Envelope::Parse(rs->getString(4).asStdString()).event_id == event.event_id);
  CHECK(rs->getString(5).asStdString().substr(0, 3) == "00-");
  CHECK_FALSE(rs->next());
}

TEST_CASE("A rolled-back transaction leaves no outbox row", "[outbox]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  CHECK_THROWS(InTransaction(pool, [&](Transaction& tx) {
    saga::outbox::Append(tx, Envelope::New("order.created", "o-1", {}), "");
    saga::outbox::Append(tx, Envelope::New("order.created", "o-2", {}), "");
    throw std::runtime_error("the business change failed");
  }));
  {
    auto lease = pool.Acquire();
    Transaction tx(*lease);
    saga::outbox::Append(tx, Envelope::New("order.created", "o-3", {}), "");
    // no Commit: the guard rolls back
  }
  CHECK(schema.Count("outbox") == 0);
}

TEST_CASE("The inbox tells a new event from a redelivered one", "[outbox][inbox]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  auto record = [&](const std::string& id, bool commit) {
    return InTransaction(pool, [&](Transaction& tx) {
      const bool fresh = saga::outbox::RecordInbox(tx, id, "order.created");
      if (commit) tx.Commit();
      return fresh;
    });
  };
  CHECK(record("e-1", false));  // rolled back: not remembered
  CHECK(record("e-1", true));
  CHECK_FALSE(record("e-1", true));
  CHECK(record("e-2", true));
  CHECK(schema.Count("inbox") == 2);
}

TEST_CASE("A batch's inbox rows tell new events from redelivered ones and from repeats in the batch",
          "[outbox][inbox]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  using Batch = std::vector<std::pair<std::string, std::string>>;
  auto record = [&](const Batch& batch, bool commit) {
    return InTransaction(pool, [&](Transaction& tx) {
      auto fresh = saga::outbox::RecordInbox(tx, batch);
      if (commit) tx.Commit();
      return fresh;
    });
  };
  CHECK(record({{"b-1", "order.created"}}, false) == std::vector<bool>{true});  // rolled back
  CHECK(record({{"b-1", "order.created"}, {"b-2", "stock.reserved"}}, true) == std::vector<bool>{true, true});
  // 75 events (chunks of 64, 8, 2, 1): the two known ones and a repeat inside the batch are not new.
  Batch big{{"b-2", "stock.reserved"}};
  for (int i = 3; i <= 74; ++i) big.emplace_back("b-" + std::to_string(i), "payment.completed");
  big.emplace_back("b-1", "order.created");
  big.emplace_back("b-3", "payment.completed");
  REQUIRE(big.size() == 75);
  const auto fresh = record(big, true);
  CHECK(std::count(fresh.begin(), fresh.end(), true) == 72);
  CHECK_FALSE(fresh[0]);
  CHECK(fresh[1]);
  CHECK_FALSE(fresh[73]);
  CHECK_FALSE(fresh[74]);
  CHECK(schema.Count("inbox") == 74);
  CHECK(schema.Scalar("SELECT COUNT(*) FROM inbox WHERE event_type = 'payment.completed'") == 72);
  CHECK(record({}, true).empty());

  // No repeat inside the batch, a redelivered event in the second chunk (64, 8, 1): the first
  // chunk's rows were inserted directly and are new; the second chunk's statement fails on the
  // known one and is done again after a look-up; the last chunk is new.
  Batch later;
  for (int i = 1; i <= 71; ++i) later.emplace_back("c-" + std::to_string(i), "stock.reserved");
  later.emplace_back("b-5", "payment.completed");
  later.emplace_back("c-72", "stock.reserved");
  REQUIRE(later.size() == 73);
  const auto again = record(later, true);
  CHECK(std::count(again.begin(), again.end(), true) == 72);
  CHECK_FALSE(again[71]);
  CHECK(again[70]);
  CHECK(again[72]);
  CHECK(schema.Count("inbox") == 74 + 72);
  CHECK(schema.Scalar("SELECT COUNT(*) FROM inbox WHERE event_type = 'stock.reserved'") == 1 + 72);
}
