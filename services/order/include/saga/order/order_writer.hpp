#pragma once

#include <cstddef>
#include <functional>

#include "saga/db/group_commit.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order {

/// Group commit for POST /orders (db::GroupCommit): `max_in_flight` writer threads each take what
/// has queued (up to `max_batch` orders, Idempotency-Keys distinct) and write it in one transaction
/// with PlaceOrders. A batch that fails for a reason that is not retryable is written again one
/// order at a time, so one bad order fails only itself.
class OrderWriter : public db::GroupCommit<NewOrder, PlaceOutcome> {
 public:
  /// `committed` (optional) runs on the writer thread after each transaction that committed.
  OrderWriter(db::Pool& pool, std::size_t max_batch, int max_in_flight = 2,
              std::function<void()> committed = {},
              std::int64_t deadline_ms = contracts::kDefaultDeadlineMs)
      : GroupCommit(
            pool,
            [deadline_ms](db::Transaction& tx, const std::vector<const NewOrder*>& orders) {
              return PlaceOrders(tx, orders, deadline_ms);
            },
            {.max_batch = max_batch,
             .writers = max_in_flight,
             .key = [](const NewOrder& o) { return o.idempotency_key; },
             .committed = std::move(committed)}) {}

  /// Orders waiting for a batch.
  std::size_t Queued() { return QueuedItems(); }
};

}  // namespace saga::order
