#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "saga/db/pool.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/runtime/periodic.hpp"

namespace saga::order {

/// docs/adr/0017-the-order-service-owns-the-deadline.md
/// The saga deadline's owner: a thread that, every `every` (the first `every` after it starts), finds the PENDING orders whose deadline
/// has passed (idx_orders_deadline, `batch` at a time, each batch one transaction) and, in that
/// transaction, moves each deadline on (`deadline_ms`, doubled for each earlier expiry, at most 32
/// times) and appends a saga.expired (the order as placed, and its attempt) to the outbox.
/// Completion answers it by aborting the saga, or by announcing its final status again; an order
/// that is still PENDING at its next deadline is asked about again, so no saga stays open however
/// many messages are lost. A PENDING order without a deadline gets one from its creation time.
/// Counter: sagas_expired_total{attempt="first"|"again"}; the fourth attempt is logged.
class Expiry {
 public:
  struct Options {
    std::int64_t deadline_ms = 0;
    std::chrono::milliseconds every{1000};
    int batch = 100;
  };

  Expiry(db::Pool& pool, Options options, metrics::Registry& registry);
  ~Expiry();
  Expiry(const Expiry&) = delete;
  Expiry& operator=(const Expiry&) = delete;

  /// Stops the thread (waits for a scan under way); the destructor does too.
  void Stop();

  /// One scan: expires every order past its deadline now. Returns how many. (The thread calls it;
  /// tests too.)
  std::size_t ScanOnce();

 private:
  bool Stopping() const { return periodic_ && periodic_->Stopping(); }

  db::Pool& pool_;
  const Options options_;
  prometheus::Counter& first_;
  prometheus::Counter& again_;
  std::unique_ptr<runtime::Periodic> periodic_;  // last: stopped before the rest goes
};

}  // namespace saga::order
