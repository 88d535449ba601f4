#pragma once

// Group commit (docs/adr/0008-batches-and-group-commit.md): requests that arrive while the writers
// are busy are written together, in one transaction, by the next free writer.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "saga/db/error.hpp"
#include "saga/db/pool.hpp"
#include "saga/log/log.hpp"

namespace saga::db {

/// `writers` threads each take what has queued (up to `max_batch` items, keys distinct) and write
/// it with `write` in one transaction, which GroupCommit commits. Nothing waits on a thread of
/// its own: Submit returns at once and the item's callback runs on the writer thread once its
/// batch committed (or failed). A batch that fails for a reason that is not retryable is written
/// again one item at a time, so one bad item fails only itself; a retryable failure (after
/// InTransaction's attempts) fails the whole batch with that error.
template <typename Item, typename Outcome>
class GroupCommit {
 public:
  /// An item's outcome, or the error that failed it (a db::Error, for example).
  using Done = std::function<void(std::optional<Outcome> outcome, std::exception_ptr error)>;
  /// Writes the batch inside `tx` (which GroupCommit commits) and returns one outcome per item,
  /// in order.
  using Write = std::function<std::vector<Outcome>(Transaction& tx, const std::vector<const Item*>& items)>;

  struct Options {
    std::size_t max_batch = 32;
    int writers = 2;
    /// Items with the same key never share a batch (a later one waits for the next batch).
    std::function<std::optional<std::string>(const Item&)> key = {};
    /// Runs on the writer thread after each transaction that committed.
    std::function<void()> committed = {};
  };

  GroupCommit(Pool& pool, Write write, Options options)
      : pool_(pool), write_(std::move(write)), options_(std::move(options)) {
    options_.max_batch = std::max<std::size_t>(1, options_.max_batch);
    for (int i = 0; i < std::max(1, options_.writers); ++i) writers_.emplace_back([this] { Run(); });
  }
  /// Writes what is queued, then stops the writer threads.
  ~GroupCommit() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    work_.notify_all();
    for (auto& t : writers_) t.join();
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Queues `item`; `done` is called exactly once, on a writer thread.
  void Submit(Item item, Done done) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::make_unique<Queued>(Queued{std::move(item), std::move(done), {}, {}}));
    }
    work_.notify_one();
  }

  /// Items waiting for a batch, batches being written, and transactions committed so far.
  std::size_t QueuedItems() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }
  int Writing() {
    std::lock_guard lock(mu_);
    return in_flight_;
  }
  std::size_t Transactions() {
    std::lock_guard lock(mu_);
    return transactions_;
  }

 private:
  struct Queued {
    Item item;
    Done done;
    std::optional<Outcome> outcome;
    std::exception_ptr error;
  };
  using Batch = std::vector<std::unique_ptr<Queued>>;

  void Run() {
    std::unique_lock lock(mu_);
    for (;;) {
      work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      const auto batch = TakeBatch();
      ++in_flight_;
      lock.unlock();
      WriteBatch(batch);
      for (const auto& q : batch) {
        try {
          q->done(std::move(q->outcome), q->error);
        } catch (const std::exception& e) {
          log::Error("group commit callback failed", {{"error", e.what()}});
        }
      }
      lock.lock();
      --in_flight_;
    }
  }

  Batch TakeBatch() {  // with mu_ held
    Batch batch;
    std::set<std::string> keys;
    for (auto it = queue_.begin(); it != queue_.end() && batch.size() < options_.max_batch;) {
      if (options_.key) {
        const auto key = options_.key((*it)->item);
        if (key && !keys.insert(*key).second) {
          ++it;  // the same key is in this batch already: it waits for the next one
          continue;
        }
      }
      batch.push_back(std::move(*it));
      it = queue_.erase(it);
    }
    return batch;
  }

  std::vector<Outcome> Commit(const std::vector<const Item*>& items) {
    auto outcomes = InTransaction(pool_, [&](Transaction& tx) {
      auto out = write_(tx, items);
      tx.Commit();
      return out;
    });
    {
      std::lock_guard lock(mu_);
      ++transactions_;
    }
    if (options_.committed) options_.committed();
    return outcomes;
  }

  void WriteBatch(const Batch& batch) {
    if (batch.size() == 1) {
      WriteAlone(*batch.front());
      return;
    }
    std::vector<const Item*> items;
    items.reserve(batch.size());
    for (const auto& q : batch) items.push_back(&q->item);
    try {
      auto outcomes = Commit(items);
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->outcome = std::move(outcomes[i]);
    } catch (const Error& e) {
      // Retried already, or failed in its commit: the outcome is the same for every item.
      if (e.IsRetryable()) {
        for (const auto& q : batch) q->error = std::current_exception();
        return;
      }
      for (const auto& q : batch) WriteAlone(*q);
    } catch (const std::exception&) {
      for (const auto& q : batch) WriteAlone(*q);
    }
  }

  void WriteAlone(Queued& q) {
    try {
      q.outcome = std::move(Commit({&q.item}).front());
    } catch (...) {
      q.error = std::current_exception();
    }
  }

  Pool& pool_;
  const Write write_;
  Options options_;
  std::mutex mu_;
  std::condition_variable work_;  // an item queued, or stopping
  std::deque<std::unique_ptr<Queued>> queue_;
  int in_flight_ = 0;
  std::size_t transactions_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> writers_;
};

}  // namespace saga::db
