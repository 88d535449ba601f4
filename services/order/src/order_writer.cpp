#include "saga/order/order_writer.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "saga/log/log.hpp"

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

OrderWriter::OrderWriter(db::Pool& pool, std::size_t max_batch, int max_in_flight,
                         std::function<void()> committed)
    : pool_(pool), max_batch_(std::max<std::size_t>(1, max_batch)), committed_(std::move(committed)) {
  for (int i = 0; i < std::max(1, max_in_flight); ++i) writers_.emplace_back([this] { Run(); });
}

OrderWriter::~OrderWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (auto& t : writers_) t.join();
}

void OrderWriter::Submit(NewOrder order, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::make_unique<QueuedOrder>(QueuedOrder{std::move(order), std::move(done), {}, {}}));
  }
  work_.notify_one();
}

void OrderWriter::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is written
    const auto batch = TakeBatch();
    ++in_flight_;
    lock.unlock();
    Write(batch);
    for (const auto& w : batch) {
      try {
        w->done(std::move(w->outcome), w->error);
      } catch (const std::exception& e) {
        log::Error("order callback failed", {{"error", e.what()}});
      }
    }
    lock.lock();
    --in_flight_;
  }
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

OrderWriter::Batch OrderWriter::TakeBatch() {
  Batch batch;
  std::set<std::string> keys;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < max_batch_;) {
    const auto& key = (*it)->order.idempotency_key;
    if (key && !keys.insert(*key).second) {
      ++it;  // the same key is in this batch already: it waits for the next one
      continue;
    }
    batch.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  return batch;
}

void OrderWriter::Write(const Batch& batch) {
  if (batch.size() == 1) {
    WriteAlone(*batch.front());
    return;
  }
  std::vector<const NewOrder*> orders;
  orders.reserve(batch.size());
  for (const auto& w : batch) orders.push_back(&w->order);
  try {
    auto outcomes = WriteInTransaction(pool_, [&](db::Transaction& tx) { return PlaceOrders(tx, orders); });
    Count();
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->outcome = std::move(outcomes[i]);
  } catch (const db::Error& e) {
    // Retried already, or failed in its commit: the outcome is the same for every order.
    if (e.IsRetryable()) {
      for (const auto& w : batch) w->error = std::current_exception();
      return;
    }
    for (const auto& w : batch) WriteAlone(*w);
  } catch (const std::exception&) {
    for (const auto& w : batch) WriteAlone(*w);
  }
}

void OrderWriter::Count() {
  {
    std::lock_guard lock(mu_);
    ++transactions_;
  }
  if (committed_) committed_();
}

void OrderWriter::WriteAlone(QueuedOrder& w) {
  try {
    auto outcomes = WriteInTransaction(pool_, [&](db::Transaction& tx) { return PlaceOrders(tx, {&w.order}); });
    Count();
    w.outcome = std::move(outcomes.front());
  } catch (...) {
    w.error = std::current_exception();
  }
}

}  // namespace saga::order
