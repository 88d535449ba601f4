#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "saga/db/pool.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order {

/// Group commit for POST /orders: `max_in_flight` writer threads each take what has queued (up to
/// `max_batch` orders, keys distinct) and write it in one transaction with PlaceOrders. Orders
/// that arrive while every writer is busy queue up and go in the next batch together. Nothing
/// waits on a thread of its own: Submit returns at once and the order's callback runs on the
/// writer thread once the batch committed (or failed). A batch that fails for a reason that is
/// not retryable is written again one order at a time, so one bad order fails only itself.
class OrderWriter {
 public:
  /// An order's outcome, or the error that failed it (a db::Error, for example).
  using Done = std::function<void(std::optional<PlaceOutcome> outcome, std::exception_ptr error)>;

  /// `committed` (optional) runs on the writer thread after each transaction that committed.
  OrderWriter(db::Pool& pool, std::size_t max_batch, int max_in_flight = 2,
              std::function<void()> committed = {});
  /// Writes what is queued, then stops the writer threads.
  ~OrderWriter();
  OrderWriter(const OrderWriter&) = delete;
  OrderWriter& operator=(const OrderWriter&) = delete;

  /// Queues `order`; `done` is called exactly once, on a writer thread.
  void Submit(NewOrder order, Done done);

  /// Orders waiting for a batch, batches being written, and transactions written so far (for
  /// tests and metrics).
  std::size_t Queued();
  int Writing();
  std::size_t Transactions();

 private:
  struct QueuedOrder {
    NewOrder order;
    Done done;
    std::optional<PlaceOutcome> outcome;
    std::exception_ptr error;
  };
  using Batch = std::vector<std::unique_ptr<QueuedOrder>>;

  void Run();
  Batch TakeBatch();  // with mu_ held
  void Write(const Batch& batch);
  void WriteAlone(QueuedOrder& w);
  void Count();

  db::Pool& pool_;
  const std::size_t max_batch_;
  const std::function<void()> committed_;
  std::mutex mu_;
  std::condition_variable work_;  // an order queued, or stopping
  std::deque<std::unique_ptr<QueuedOrder>> queue_;
  int in_flight_ = 0;
  std::size_t transactions_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> writers_;
};

}  // namespace saga::order
