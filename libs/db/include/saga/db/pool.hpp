#pragma once

#include <chrono>
#include <condition_variable>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "saga/db/error.hpp"

namespace sql {
class Connection;
}

namespace saga::db {

struct Options {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;  // may be empty (relay qualifies table names)
  int pool_size = 8;
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{60};
  std::chrono::milliseconds acquire_timeout{5000};
  /// Each statement is its own transaction (no Commit() needed). Off for pools: business changes
  /// and their outbox rows commit together. The relay turns it on: each of its statements stands
  /// alone, and a separate COMMIT would be one more round trip per statement.
  bool autocommit = false;
};

/// One server session: autocommit off (unless Options::autocommit), READ COMMITTED, UTC,
/// prepared statements cached by text.
/// Use it inside a Transaction (or InTransaction), never across threads at once.
class Connection {
 public:
  explicit Connection(const Options& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A prepared statement for `sql`, prepared once per connection and reused.
  sql::PreparedStatement& Prepare(const std::string& sql);
  /// Runs a statement without parameters; returns affected rows.
  std::uint64_t Execute(const std::string& sql);
  std::unique_ptr<sql::ResultSet> Query(const std::string& sql);
  void Commit();
  void Rollback();

  bool Broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }

 private:
  std::unique_ptr<sql::Connection> conn_;
  std::unordered_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements_;
  bool broken_ = false;
};

/// A fixed-size pool; connections are made lazily and replaced when broken.
class Pool {
 public:
  explicit Pool(Options options);
  ~Pool();

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  /// Waits up to acquire_timeout for a free connection; throws a retryable Error if none.
  Lease Acquire();
  /// SELECT 1 on a pooled connection.
  bool Ping();

 private:
  void Release(std::unique_ptr<Connection> conn);

  Options options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

/// Rolls back on destruction unless Commit() was called. The business change and its outbox
/// row share one Transaction.
class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Connection& Conn() { return conn_; }
  void Commit();
  /// True once Commit() was called: after a failure from here on the outcome is unknown.
  bool CommitAttempted() const { return commit_attempted_; }

 private:
  Connection& conn_;
  bool done_ = false;
  bool commit_attempted_ = false;
};

/// Runs `fn(Transaction&)` on a pooled connection, translating driver exceptions into Error.
/// A deadlock, lock timeout or lost connection before the commit is retried (up to `attempts`);
/// a failure during commit is not, because its outcome is unknown.
template <typename Fn>
auto InTransaction(Pool& pool, Fn&& fn, int attempts = 3);

namespace detail {
/// Calls f(), rethrowing sql::SQLException as Error and marking `conn` broken if it was lost.
template <typename F>
auto Translate(Connection* conn, F&& f) -> decltype(f());
[[noreturn]] void Rethrow(Connection* conn);
void BackoffBeforeRetry(int attempt);
}  // namespace detail

template <typename F>
auto detail::Translate(Connection* conn, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::exception&) {
    Rethrow(conn);
  }
}

template <typename Fn>
auto InTransaction(Pool& pool, Fn&& fn, int attempts) {
  for (int attempt = 1;; ++attempt) {
    bool commit_attempted = false;
    try {
      auto lease = pool.Acquire();
      Connection* conn = &*lease;
      return detail::Translate(conn, [&] {
        Transaction tx(*conn);
        struct Flag {
          Transaction& t;
          bool& out;
          ~Flag() { out = t.CommitAttempted(); }
        } flag{tx, commit_attempted};
        return fn(tx);
      });
    } catch (const Error& e) {
      if (!e.IsRetryable() || commit_attempted || attempt >= attempts) throw;
      detail::BackoffBeforeRetry(attempt);
    }
  }
}

}  // namespace saga::db
