#include "saga/stock/stock_handler.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <cppconn/resultset.h>

#include "saga/contracts/saga_events.hpp"
#include "saga/db/rows.hpp"
#include "saga/outbox/outbox.hpp"
#include "sql.hpp"

namespace saga::stock {
namespace {

using contracts::Envelope;
namespace topics = contracts::topics;

}  // namespace

void StockHandler::Handle(const messaging::Event& event, db::Transaction& tx) { HandleBatch({&event}, tx); }

void StockHandler::HandleBatch(const std::vector<const messaging::Event*>& events, db::Transaction& tx) {
  // Parse and check every event first: a bad one fails the batch before any write (it is then
  // retried one event at a time and the bad one goes to the DLQ).
  std::vector<std::optional<contracts::OrderCreated>> orders(events.size());
  std::vector<std::string> order_ids, releasing;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& env = events[i]->envelope;
    if (env.event_type == topics::kOrderCreated) {
      auto order = contracts::PayloadAs<contracts::OrderCreated>(env.payload, env.event_type);
      std::sort(order.items.begin(), order.items.end(),
                [](const auto& a, const auto& b) { return a.product_id < b.product_id; });
      for (std::size_t k = 1; k < order.items.size(); ++k) {
        if (order.items[k].product_id == order.items[k - 1].product_id) {
          throw contracts::ContractError("order.created lists productId " +
                                         std::to_string(order.items[k].product_id.value) + " twice");
        }
      }
      orders[i] = std::move(order);
      order_ids.push_back(env.order_id);
    } else if (env.event_type == topics::kPaymentFailed) {
      contracts::PayloadAs<contracts::PaymentFailed>(env.payload, env.event_type);
      releasing.push_back(env.order_id);
    } else {
      throw contracts::ContractError("product-stock does not handle " + env.event_type);
    }
  }

  auto& conn = tx.Conn();
  db::detail::Translate(&conn, [&] {
    // What the database holds for this batch: orders already reserved (under another event id),
    // the reservations still held by orders to release, and the products involved (locked).
    std::set<std::string> reserved_before;
    db::QueryIn(conn, sql::kReservedOrdersHead, order_ids, [&](::sql::ResultSet& rs) {
      reserved_before.insert(rs.getString(1).asStdString());
    });
    std::map<std::string, std::vector<contracts::OrderItem>> held;
    db::QueryIn(conn, sql::kHeldReservationsHead, releasing, [&](::sql::ResultSet& rs) {
      held[rs.getString(1).asStdString()].push_back({contracts::ProductId(rs.getInt64(2)), rs.getInt(3)});
    }, sql::kHeldReservationsTail);
    std::vector<std::string> product_ids;
    {
      std::set<std::int64_t> wanted;
      for (const auto& o : orders) {
        if (o) {
          for (const auto& item : o->items) wanted.insert(item.product_id.value);
        }
      }
      for (const auto& [_, items] : held) {
        for (const auto& item : items) wanted.insert(item.product_id.value);
      }
      for (auto id : wanted) product_ids.push_back(std::to_string(id));
    }
    struct Product {
      std::int64_t price = 0;
      std::int64_t stock = 0;
      bool changed = false;
    };
    std::map<std::int64_t, Product> products;
    db::QueryIn(conn, sql::kProductsHead, product_ids, [&](::sql::ResultSet& rs) {
      products[rs.getInt64(1)] = Product{rs.getInt64(2), rs.getInt64(3), false};
    }, sql::kProductsTail);

    // The events in order, against the rows in memory.
    std::vector<outbox::Pending> out;
    std::vector<std::pair<std::string, contracts::PricedItem>> new_reservations;
    std::vector<std::string> released;
    auto emit = [&](const messaging::Event& cause, const char* type, nlohmann::json payload) {
      out.push_back({Envelope::New(type, cause.envelope.order_id, std::move(payload), cause.envelope.event_id),
                     cause.traceparent});
    };
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& event = *events[i];
      const auto& order_id = event.envelope.order_id;
      if (orders[i]) {
        if (!reserved_before.insert(order_id).second) continue;  // handled already
        contracts::StockReserved reserved{orders[i]->user_id, {}, 0};
        std::optional<contracts::StockRejected> rejected;
        for (const auto& item : orders[i]->items) {
          const auto it = products.find(item.product_id.value);
          if (it == products.end()) {
            rejected = contracts::StockRejected{contracts::reasons::kUnknownProduct, item.product_id};
            break;
          }
          if (it->second.stock < item.quantity) {
            rejected = contracts::StockRejected{contracts::reasons::kOutOfStock, item.product_id};
            break;
          }
          reserved.items.push_back({item.product_id, item.quantity, it->second.price});
          reserved.total_amount += it->second.price * item.quantity;
        }
        if (rejected) {
          reserved_before.erase(order_id);  // nothing was reserved
          emit(event, topics::kStockRejected, *rejected);
          continue;
        }
        for (const auto& item : reserved.items) {
          auto& p = products.at(item.product_id.value);
          p.stock -= item.quantity;
          p.changed = true;
          new_reservations.emplace_back(order_id, item);
        }
        emit(event, topics::kStockReserved, reserved);
      } else {
        const auto it = held.find(order_id);
        if (it == held.end()) continue;  // nothing reserved, or given back already
        contracts::StockReleased back{it->second};
        for (const auto& item : it->second) {
          auto& p = products.at(item.product_id.value);
          p.stock += item.quantity;
          p.changed = true;
        }
        held.erase(it);
        released.push_back(order_id);
        emit(event, topics::kStockReleased, back);
      }
    }

    // Each changed product once, in one statement (the rows are locked, so absolute values are safe).
    std::vector<std::pair<std::int64_t, std::int64_t>> stocks;  // product, new stock
    for (const auto& [id, p] : products) {
      if (p.changed) stocks.emplace_back(id, p.stock);
    }
    db::ExecuteRows(
        conn, sql::kSetStocksHead, sql::kSetStocksRow, stocks.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) {
          st.setInt64(p, stocks[i].first);
          st.setInt64(p + 1, stocks[i].second);
        },
        sql::kSetStocksTail, " UNION ALL ");
    db::ExecuteRows(conn, sql::kInsertReservationsHead, sql::kInsertReservationsRow, new_reservations.size(),
                    [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                      const auto& [order_id, item] = new_reservations[i];
                      st.setString(p, order_id);
                      st.setInt64(p + 1, item.product_id.value);
                      st.setInt(p + 2, item.quantity);
                      st.setInt64(p + 3, item.unit_price);
                    });
    db::ExecuteRows(
        conn, sql::kMarkReleasedHead, "?", released.size(),
        [&](::sql::PreparedStatement& st, std::size_t i, int p) { st.setString(p, released[i]); },
        sql::kMarkReleasedTail);
    outbox::AppendMany(tx, out);
  });
}

}  // namespace saga::stock
