#include "saga/order/order_service.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "saga/contracts/envelope.hpp"
#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "saga/order/order_writer.hpp"
#include "saga/outbox/outbox.hpp"
#include "sql.hpp"

namespace saga::order {

std::vector<PlaceOutcome> PlaceOrders(db::Transaction& tx, const std::vector<const NewOrder*>& orders) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    const std::size_t n = orders.size();
    std::vector<std::string> ids(n);
    for (auto& id : ids) id = contracts::NewUuid();
    std::vector<std::optional<PlaceOutcome>> outcomes(n);

    // Keys in ascending order, so two batches that share keys lock them in the same order.
    std::vector<std::size_t> keyed;
    for (std::size_t i = 0; i < n; ++i) {
      if (orders[i]->idempotency_key) keyed.push_back(i);
    }
    std::sort(keyed.begin(), keyed.end(), [&](std::size_t a, std::size_t b) {
      return *orders[a]->idempotency_key < *orders[b]->idempotency_key;
    });
    for (std::size_t k = 1; k < keyed.size(); ++k) {
      if (*orders[keyed[k]]->idempotency_key == *orders[keyed[k - 1]]->idempotency_key) {
        throw std::invalid_argument("PlaceOrders: one Idempotency-Key twice in a batch");
      }
    }
    if (!keyed.empty()) {
      std::vector<std::string> requests(n);
      std::vector<std::string> keys;
      for (const auto i : keyed) {
        requests[i] = orders[i]->cmd.Canonical();
        keys.push_back(*orders[i]->idempotency_key);
      }
      // A key another transaction holds makes this wait for it; a taken key stays as it was
      // and counts 0 affected rows. Only then are the keys read back.
      const auto inserted = db::ExecuteRows(
          conn, sql::kInsertIdempotencyKeysHead, sql::kInsertIdempotencyKeysRow, keyed.size(),
          [&](::sql::PreparedStatement& st, std::size_t k, int p) {
            const auto i = keyed[k];
            st.setString(p, *orders[i]->idempotency_key);
            st.setString(p + 1, requests[i]);
            st.setString(p + 2, ids[i]);
          },
          sql::kInsertIdempotencyKeysTail);
      if (inserted != keyed.size()) {
        std::unordered_map<std::string, std::pair<std::string, std::string>> stored;  // key -> request, order
        db::QueryIn(conn, sql::kSelectIdempotencyKeysHead, keys, [&](::sql::ResultSet& rs) {
          stored[rs.getString(1).asStdString()] = {rs.getString(2).asStdString(), rs.getString(3).asStdString()};
        });
        for (const auto i : keyed) {
          const auto it = stored.find(*orders[i]->idempotency_key);
          if (it == stored.end()) throw db::Error("idempotency key vanished during lookup", 1213, "40001");
          const auto& [request, order_id] = it->second;
          if (order_id == ids[i]) continue;  // ours: a new order
          if (request == requests[i]) {
            outcomes[i] = PlaceOrderResult{order_id, true};
          } else {
            outcomes[i] = IdempotencyConflict("Idempotency-Key was already used with a different request body");
          }
        }
      }
    }

    std::vector<std::size_t> fresh;
    struct ItemRef {
      std::size_t order;
      const contracts::OrderItem* item;
    };
    std::vector<ItemRef> items;
    std::vector<outbox::Pending> events;
    for (std::size_t i = 0; i < n; ++i) {
      if (outcomes[i]) continue;
      fresh.push_back(i);
      const auto& cmd = orders[i]->cmd;
      for (const auto& item : cmd.items) items.push_back({i, &item});
      const contracts::OrderCreated payload{cmd.user_id, cmd.items, cmd.coupon_id};
      events.push_back({contracts::Envelope::New(contracts::OrderCreated::kType, ids[i], payload),
                        orders[i]->traceparent});
      outcomes[i] = PlaceOrderResult{ids[i], false};
    }
    if (!fresh.empty()) {
      db::ExecuteRows(conn, sql::kInsertOrdersHead, sql::kInsertOrdersRow, fresh.size(),
                      [&](::sql::PreparedStatement& st, std::size_t k, int p) {
                        const auto i = fresh[k];
                        st.setString(p, ids[i]);
                        st.setInt64(p + 1, orders[i]->cmd.user_id.value);
                        db::BindOptional(st, p + 2, orders[i]->cmd.coupon_id);
                        st.setString(p + 3, orders[i]->traceparent);
                      });
      db::ExecuteRows(conn, sql::kInsertItemsHead, sql::kInsertItemsRow, items.size(),
                      [&](::sql::PreparedStatement& st, std::size_t k, int p) {
                        st.setString(p, ids[items[k].order]);
                        st.setInt64(p + 1, items[k].item->product_id.value);
                        st.setInt(p + 2, items[k].item->quantity);
                      });
      outbox::AppendMany(tx, events);
    }
    std::vector<PlaceOutcome> out;
    out.reserve(n);
    for (auto& o : outcomes) out.push_back(std::move(*o));
    return out;
  });
}

PlaceOrderResult PlaceOrder(db::Transaction& tx, const PlaceOrderCommand& cmd,
                            const std::optional<std::string>& idempotency_key,
                            const std::string& traceparent) {
  const NewOrder order{cmd, idempotency_key, traceparent};
  auto outcome = std::move(PlaceOrders(tx, {&order}).front());
  if (auto* conflict = std::get_if<IdempotencyConflict>(&outcome)) throw *conflict;
  return std::get<PlaceOrderResult>(std::move(outcome));
}

std::optional<OrderView> FindOrder(db::Transaction& tx, const std::string& order_id) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&]() -> std::optional<OrderView> {
    OrderView v;
    {
      auto& st = conn.Prepare(sql::kSelectOrder);
      st.setString(1, order_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (!rs->next()) return std::nullopt;
      v.order_id = rs->getString(1).asStdString();
      v.user_id = contracts::UserId(rs->getInt64(2));
      v.status = rs->getString(3).asStdString();
      v.reason = db::OptionalString(*rs, 4);
      v.coupon_id = db::OptionalString(*rs, 5);
      v.created_at = db::IsoFromDateTime(rs->getString(6).asStdString());
      v.updated_at = db::IsoFromDateTime(rs->getString(7).asStdString());
    }
    auto& st = conn.Prepare(sql::kSelectItems);
    st.setString(1, order_id);
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) {
      v.items.push_back({contracts::ProductId(rs->getInt64(1)), rs->getInt(2)});
    }
    return v;
  });
}

std::size_t FinishOrders(db::Transaction& tx, const std::vector<FinalStatus>& statuses) {
  if (statuses.empty()) return 0;
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    return static_cast<std::size_t>(db::ExecuteRows(
        conn, sql::kFinishOrdersHead, sql::kFinishOrdersRow, statuses.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) {
          st.setString(p, statuses[i].order_id);
          st.setString(p + 1, statuses[i].status);
          db::BindOptional(st, p + 2, statuses[i].reason);
        },
        sql::kFinishOrdersTail, " UNION ALL "));
  });
}

OrderService::OrderService(db::Pool& pool, std::size_t max_batch, int max_in_flight,
                           std::function<void()> committed)
    : pool_(&pool),
      writer_(std::make_shared<OrderWriter>(pool, max_batch, max_in_flight, std::move(committed))) {}

PlaceOrderResult OrderService::Place(const PlaceOrderCommand& cmd,
                                     const std::optional<std::string>& idempotency_key,
                                     const std::string& traceparent) {
  return writer_->Place(NewOrder{cmd, idempotency_key, traceparent});
}

void OrderService::Submit(
    NewOrder order, std::function<void(std::optional<PlaceOutcome> outcome, std::exception_ptr error)> done) {
  writer_->Submit(std::move(order), std::move(done));
}

std::optional<OrderView> OrderService::Get(const std::string& order_id) {
  return db::InTransaction(*pool_, [&](db::Transaction& tx) {
    auto view = FindOrder(tx, order_id);
    tx.Commit();
    return view;
  });
}

}  // namespace saga::order
