#include "saga/order/order_service.hpp"

#include "saga/contracts/envelope.hpp"
#include "saga/outbox/outbox.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::order {
namespace {

const std::string& ItemsInsertSql(std::size_t n) {
  static const std::vector<std::string> kByCount = [] {
    std::vector<std::string> v(kMaxItems + 1);
    for (int count = 1; count <= kMaxItems; ++count) {
      std::string s = sql::kInsertItemsHead;
      for (int i = 0; i < count; ++i) {
        if (i > 0) s += ", ";
        s += sql::kInsertItemsRow;
      }
      v[count] = s;
    }
    return v;
  }();
  return kByCount.at(n);
}

// The key is taken: the same request gets the original order, another request a conflict.
PlaceOrderResult Replay(db::Connection& conn, const std::string& key, const std::string& request) {
  auto& st = conn.Prepare(sql::kSelectIdempotencyKey);
  st.setString(1, key);
  std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
  if (!rs->next()) throw db::Error("idempotency key vanished during lookup", 1213, "40001");
  if (rs->getString(1).asStdString() != request) {
    throw IdempotencyConflict("Idempotency-Key was already used with a different request body");
  }
  return PlaceOrderResult{rs->getString(2).asStdString(), true};
}

}  // namespace

PlaceOrderResult PlaceOrder(db::Transaction& tx, const PlaceOrderCommand& cmd,
                            const std::optional<std::string>& idempotency_key,
                            const std::string& traceparent) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&]() -> PlaceOrderResult {
    const std::string order_id = contracts::NewUuid();
    if (idempotency_key) {
      const std::string request = cmd.Canonical();
      try {
        // Concurrent requests with one key serialise on this unique insert.
        db::detail::Translate(&conn, [&] {
          auto& st = conn.Prepare(sql::kInsertIdempotencyKey);
          st.setString(1, *idempotency_key);
          st.setString(2, request);
          st.setString(3, order_id);
          st.executeUpdate();
        });
      } catch (const db::Error& e) {
        if (!e.IsDuplicateKey()) throw;
        return Replay(conn, *idempotency_key, request);
      }
    }
    {
      auto& st = conn.Prepare(sql::kInsertOrder);
      st.setString(1, order_id);
      st.setInt64(2, cmd.user_id.value);
      db::BindOptional(st, 3, cmd.coupon_id);
      st.setString(4, traceparent);
      st.executeUpdate();
    }
    {
      auto& st = conn.Prepare(ItemsInsertSql(cmd.items.size()));
      int p = 1;
      for (const auto& item : cmd.items) {
        st.setString(p++, order_id);
        st.setInt64(p++, item.product_id.value);
        st.setInt(p++, item.quantity);
      }
      st.executeUpdate();
    }
    const contracts::OrderCreated payload{cmd.user_id, cmd.items, cmd.coupon_id};
    outbox::Append(tx, contracts::Envelope::New(contracts::topics::kOrderCreated, order_id, payload),
                   traceparent);
    return PlaceOrderResult{order_id, false};
  });
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

bool FinishOrder(db::Transaction& tx, const std::string& order_id, const std::string& status,
                 const std::optional<std::string>& reason) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    auto& st = conn.Prepare(sql::kFinishOrder);
    st.setString(1, status);
    db::BindOptional(st, 2, reason);
    st.setString(3, order_id);
    return st.executeUpdate() == 1;
  });
}

PlaceOrderResult OrderService::Place(const PlaceOrderCommand& cmd,
                                     const std::optional<std::string>& idempotency_key,
                                     const std::string& traceparent) {
  return db::InTransaction(pool_, [&](db::Transaction& tx) {
    auto result = PlaceOrder(tx, cmd, idempotency_key, traceparent);
    tx.Commit();
    return result;
  });
}

std::optional<OrderView> OrderService::Get(const std::string& order_id) {
  return db::InTransaction(pool_, [&](db::Transaction& tx) {
    auto view = FindOrder(tx, order_id);
    tx.Commit();
    return view;
  });
}

}  // namespace saga::order
