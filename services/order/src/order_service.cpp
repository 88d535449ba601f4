#include "saga/order/order_service.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "order_store.hpp"
#include "saga/contracts/envelope.hpp"
#include "saga/contracts/ids.hpp"
#include "saga/db/error.hpp"
#include "saga/order/order_writer.hpp"
#include "saga/outbox/outbox.hpp"

namespace saga::order {

namespace {

// The batch's keys, taken for its orders where they are free. A key taken before replays its
// order (same request) or refuses this one (another request): `outcomes` gets those.
void ClaimKeys(db::Transaction& tx, const std::vector<const NewOrder*>& orders,
               const std::vector<std::string>& ids, std::vector<std::optional<PlaceOutcome>>& outcomes) {
  // Keys in ascending order, so two batches that share keys lock them in the same order.
  std::vector<std::size_t> keyed;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    if (orders[i]->idempotency_key) keyed.push_back(i);
  }
  if (keyed.empty()) return;
  std::sort(keyed.begin(), keyed.end(), [&](std::size_t a, std::size_t b) {
    return *orders[a]->idempotency_key < *orders[b]->idempotency_key;
  });
  std::vector<store::KeyRow> rows;
  std::vector<std::string> keys;
  for (const auto i : keyed) {
    if (!keys.empty() && keys.back() == *orders[i]->idempotency_key) {
      throw std::invalid_argument("PlaceOrders: one Idempotency-Key twice in a batch");
    }
    keys.push_back(*orders[i]->idempotency_key);
    rows.push_back({keys.back(), orders[i]->cmd.Canonical(), ids[i]});
  }
  // Only when a key was taken are the keys read back.
  if (store::InsertKeys(tx, rows) == rows.size()) return;
  const auto stored = store::ReadKeys(tx, keys);
  for (std::size_t k = 0; k < keyed.size(); ++k) {
    const auto i = keyed[k];
    const auto it = stored.find(keys[k]);
    if (it == stored.end()) throw db::Error("idempotency key vanished during lookup", 1213, "40001");
    const auto& [request, order_id] = it->second;
    if (order_id == ids[i]) continue;  // ours: a new order
    if (request == rows[k].request) {
      outcomes[i] = PlaceOrderResult{order_id, true};
    } else {
      outcomes[i] = IdempotencyConflict("Idempotency-Key was already used with a different request body");
    }
  }
}

}  // namespace

std::vector<PlaceOutcome> PlaceOrders(db::Transaction& tx, const std::vector<const NewOrder*>& orders,
                                      std::int64_t deadline_ms) {
  const std::size_t n = orders.size();
  std::vector<std::string> ids(n);
  for (auto& id : ids) id = contracts::NewUuid();
  std::vector<std::optional<PlaceOutcome>> outcomes(n);
  ClaimKeys(tx, orders, ids, outcomes);

  std::vector<store::OrderRow> fresh;
  std::vector<outbox::Pending> events;
  for (std::size_t i = 0; i < n; ++i) {
    if (outcomes[i]) continue;
    const auto& cmd = orders[i]->cmd;
    fresh.push_back({ids[i], &cmd, orders[i]->traceparent});
    const contracts::OrderCreated payload{cmd.user_id, cmd.items, cmd.coupon_id};
    events.push_back({contracts::Envelope::New(contracts::OrderCreated::kType, ids[i], payload),
                      orders[i]->traceparent});
    outcomes[i] = PlaceOrderResult{ids[i], false};
  }
  if (!fresh.empty()) {
    store::InsertOrders(tx, fresh, deadline_ms);
    outbox::AppendMany(tx, events);
  }
  std::vector<PlaceOutcome> out;
  out.reserve(n);
  for (auto& o : outcomes) out.push_back(std::move(*o));
  return out;
}

OrderService::OrderService(db::Pool& pool, std::size_t max_batch, int max_in_flight,
                           std::function<void()> committed, std::int64_t deadline_ms)
    : pool_(&pool),
      writer_(std::make_shared<OrderWriter>(pool, max_batch, max_in_flight, std::move(committed),
                                            deadline_ms)) {}

void OrderService::Submit(
    NewOrder order, std::function<void(std::optional<PlaceOutcome> outcome, std::exception_ptr error)> done) {
  writer_->Submit(std::move(order), std::move(done));
}

std::size_t OrderService::Queued() const { return writer_->Queued(); }

std::optional<OrderView> OrderService::Get(const std::string& order_id) {
  return db::InTransaction(*pool_, [&](db::Transaction& tx) {
    auto view = store::FindOrder(tx, order_id);
    tx.Commit();
    return view;
  });
}

}  // namespace saga::order
