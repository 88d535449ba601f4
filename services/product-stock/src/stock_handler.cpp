#include "saga/stock/stock_handler.hpp"

#include <algorithm>
#include <set>

#include "saga/contracts/saga_events.hpp"
#include "saga/outbox/outbox.hpp"
#include "sql.hpp"

namespace saga::stock {
namespace {

using contracts::Envelope;
namespace topics = contracts::topics;

std::string JoinQuoted(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    // Order ids are checked UUID-like strings from envelopes; quote defensively anyway.
    std::string q;
    for (char c : v) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') q += c;
    }
    if (!out.empty()) out += ',';
    out += '\'';
    out += q;
    out += '\'';
  }
  return out;
}

void Emit(db::Transaction& tx, const messaging::Event& cause, const char* type, nlohmann::json payload) {
  outbox::Append(tx, Envelope::New(type, cause.envelope.order_id, std::move(payload), cause.envelope.event_id),
                 cause.traceparent);
}

}  // namespace

void StockHandler::Prepare(const std::vector<messaging::Event>& events, db::Transaction& tx) {
  std::set<std::int64_t> products;
  std::vector<std::string> releasing;
  for (const auto& e : events) {
    if (e.envelope.event_type == topics::kOrderCreated) {
      try {
        for (const auto& i : e.envelope.payload.get<contracts::OrderCreated>().items) {
          products.insert(i.product_id.value);
        }
      } catch (const std::exception&) {
        // A bad payload is reported by Handle (DLQ); it locks nothing here.
      }
    } else if (e.envelope.event_type == topics::kPaymentFailed) {
      releasing.push_back(e.envelope.order_id);
    }
  }
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    if (!releasing.empty()) {
      auto rs = conn.Query(std::string(sql::kReservedProductsHead) + JoinQuoted(releasing) + ")");
      while (rs->next()) products.insert(rs->getInt64(1));
    }
    if (products.empty()) return;
    std::string ids;
    for (auto id : products) {
      if (!ids.empty()) ids += ',';
      ids += std::to_string(id);
    }
    conn.Query(std::string(sql::kLockProductsHead) + ids + sql::kLockProductsTail);
  });
}

void StockHandler::Handle(const messaging::Event& event, db::Transaction& tx) {
  const auto& type = event.envelope.event_type;
  if (type == topics::kOrderCreated) return Reserve(event, tx);
  if (type == topics::kPaymentFailed) return Release(event, tx);
  throw contracts::ContractError("product-stock does not handle " + type);
}

void StockHandler::Reserve(const messaging::Event& event, db::Transaction& tx) {
  auto order = contracts::PayloadAs<contracts::OrderCreated>(event.envelope.payload, event.envelope.event_type);
  std::sort(order.items.begin(), order.items.end(),
            [](const auto& a, const auto& b) { return a.product_id < b.product_id; });
  for (std::size_t i = 1; i < order.items.size(); ++i) {
    if (order.items[i].product_id == order.items[i - 1].product_id) {
      throw contracts::ContractError("order.created lists productId " +
                                     std::to_string(order.items[i].product_id.value) + " twice");
    }
  }
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    {
      auto& st = conn.Prepare(sql::kHasReservation);
      st.setString(1, event.envelope.order_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (rs->next()) return;  // this order was handled already (under another event id)
    }
    contracts::StockReserved reserved{order.user_id, {}, 0};
    for (const auto& item : order.items) {
      auto& st = conn.Prepare(sql::kSelectProduct);
      st.setInt64(1, item.product_id.value);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (!rs->next()) {
        return Emit(tx, event, topics::kStockRejected,
                    contracts::StockRejected{contracts::reasons::kUnknownProduct, item.product_id});
      }
      if (rs->getInt64(2) < item.quantity) {
        return Emit(tx, event, topics::kStockRejected,
                    contracts::StockRejected{contracts::reasons::kOutOfStock, item.product_id});
      }
      reserved.items.push_back({item.product_id, item.quantity, rs->getInt64(1)});
      reserved.total_amount += rs->getInt64(1) * item.quantity;
    }
    for (const auto& item : reserved.items) {
      auto& take = conn.Prepare(sql::kTakeStock);
      take.setInt(1, item.quantity);
      take.setInt64(2, item.product_id.value);
      take.executeUpdate();
      auto& ins = conn.Prepare(sql::kInsertReservation);
      ins.setString(1, event.envelope.order_id);
      ins.setInt64(2, item.product_id.value);
      ins.setInt(3, item.quantity);
      ins.setInt64(4, item.unit_price);
      ins.executeUpdate();
    }
    Emit(tx, event, topics::kStockReserved, reserved);
  });
}

void StockHandler::Release(const messaging::Event& event, db::Transaction& tx) {
  contracts::PayloadAs<contracts::PaymentFailed>(event.envelope.payload, event.envelope.event_type);
  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    contracts::StockReleased released;
    {
      auto& st = conn.Prepare(sql::kSelectReserved);
      st.setString(1, event.envelope.order_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      while (rs->next()) {
        released.items.push_back({contracts::ProductId(rs->getInt64(1)), rs->getInt(2)});
      }
    }
    if (released.items.empty()) return;  // nothing reserved, or given back already
    for (const auto& item : released.items) {
      auto& give = conn.Prepare(sql::kGiveStock);
      give.setInt(1, item.quantity);
      give.setInt64(2, item.product_id.value);
      give.executeUpdate();
    }
    auto& mark = conn.Prepare(sql::kMarkReleased);
    mark.setString(1, event.envelope.order_id);
    mark.executeUpdate();
    Emit(tx, event, topics::kStockReleased, released);
  });
}

}  // namespace saga::stock
