#include "saga/order/order_writer.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace saga::order {
namespace {

template <typename F>
auto WriteInTransaction(db::Pool& pool, F&& write) {
  return db::InTransaction(pool, [&](db::Transaction& tx) {
    auto outcomes = write(tx);
    tx.Commit();
    return outcomes;
  });
}

}  // namespace

OrderWriter::OrderWriter(db::Pool& pool, std::size_t max_batch, int max_in_flight)
    : pool_(pool), max_batch_(std::max<std::size_t>(1, max_batch)), max_in_flight_(std::max(1, max_in_flight)) {}

PlaceOrderResult OrderWriter::Place(const NewOrder& order) {
  Waiter me(&order);
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  if (in_flight_ < max_in_flight_) {  // nothing else waits then: lead a batch at once
    ++in_flight_;
    me.lead = TakeBatch();
  }
  while (!me.done) {
    if (me.lead.empty()) {
      me.wake.wait(lock);
      continue;
    }
    const auto batch = std::exchange(me.lead, {});
    lock.unlock();
    Write(batch);
    lock.lock();
    // Wake exactly the callers whose orders were written, and hand the freed slot with the next
    // batch to the oldest queued caller: no thread wakes only to find nothing to do.
    for (auto* w : batch) {
      w->done = true;
      if (w != &me) w->wake.notify_one();
    }
    --in_flight_;
    if (!queue_.empty()) {
      auto* next = queue_.front();
      ++in_flight_;
      next->lead = TakeBatch();
      next->wake.notify_one();
    }
  }
  if (me.error) std::rethrow_exception(me.error);
  if (auto* conflict = std::get_if<IdempotencyConflict>(&*me.outcome)) throw *conflict;
  return std::get<PlaceOrderResult>(std::move(*me.outcome));
}

std::size_t OrderWriter::Queued() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

int OrderWriter::Writing() {
  std::lock_guard lock(mu_);
  return in_flight_;
}

std::size_t OrderWriter::Transactions() {
  std::lock_guard lock(mu_);
  return transactions_;
}

std::vector<OrderWriter::Waiter*> OrderWriter::TakeBatch() {
  std::vector<Waiter*> batch;
  std::set<std::string> keys;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < max_batch_;) {
    const auto& key = (*it)->order->idempotency_key;
    if (key && !keys.insert(*key).second) {
      ++it;  // the same key is in this batch already: it waits for the next one
      continue;
    }
    batch.push_back(*it);
    it = queue_.erase(it);
  }
  return batch;
}

void OrderWriter::Write(const std::vector<Waiter*>& batch) {
  if (batch.size() == 1) {
    WriteAlone(*batch.front());
    return;
  }
  std::vector<const NewOrder*> orders;
  orders.reserve(batch.size());
  for (const auto* w : batch) orders.push_back(w->order);
  try {
    auto outcomes = WriteInTransaction(pool_, [&](db::Transaction& tx) { return PlaceOrders(tx, orders); });
    Count();
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->outcome = std::move(outcomes[i]);
  } catch (const db::Error& e) {
    // Retried already, or failed in its commit: the outcome is the same for every order.
    if (e.IsRetryable()) {
      for (auto* w : batch) w->error = std::current_exception();
      return;
    }
    for (auto* w : batch) WriteAlone(*w);
  } catch (const std::exception&) {
    for (auto* w : batch) WriteAlone(*w);
  }
}

void OrderWriter::Count() {
  std::lock_guard lock(mu_);
  ++transactions_;
}

void OrderWriter::WriteAlone(Waiter& w) {
  try {
    auto outcomes = WriteInTransaction(pool_, [&](db::Transaction& tx) { return PlaceOrders(tx, {w.order}); });
    Count();
    w.outcome = std::move(outcomes.front());
  } catch (...) {
    w.error = std::current_exception();
  }
}

}  // namespace saga::order
