#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include "saga/db/pool.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order {

/// Group commit for POST /orders: callers that arrive while `max_in_flight` batches are being
/// written queue up, and the next of them to lead writes the queued orders (up to `max_batch`,
/// keys distinct) in one transaction with PlaceOrders. No extra thread: when a batch is written,
/// its leader wakes the batch's callers and hands the next batch to the oldest queued caller,
/// each through that caller's own condition variable. A batch that fails for a
/// reason that is not retryable is written again one order at a time, so one bad order fails
/// only itself.
class OrderWriter {
 public:
  OrderWriter(db::Pool& pool, std::size_t max_batch, int max_in_flight = 2);

  /// Blocks until `order` is committed (or failed). Throws IdempotencyConflict or db::Error.
  PlaceOrderResult Place(const NewOrder& order);

  /// Orders waiting for a batch, batches being written, and transactions written so far (for
  /// tests and metrics).
  std::size_t Queued();
  int Writing();
  std::size_t Transactions();

 private:
  struct Waiter {
    explicit Waiter(const NewOrder* o) : order(o) {}
    const NewOrder* order;
    std::optional<PlaceOutcome> outcome;
    std::exception_ptr error;
    std::vector<Waiter*> lead;      // a batch this caller is to write (handed over with mu_ held)
    std::condition_variable wake;   // notified when `done` or `lead` changes
    bool done = false;
  };

  std::vector<Waiter*> TakeBatch();  // with mu_ held
  void Write(const std::vector<Waiter*>& batch);
  void WriteAlone(Waiter& w);
  void Count();

  db::Pool& pool_;
  const std::size_t max_batch_;
  const int max_in_flight_;
  std::mutex mu_;
  std::deque<Waiter*> queue_;
  int in_flight_ = 0;
  std::size_t transactions_ = 0;
};

}  // namespace saga::order
