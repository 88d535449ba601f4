#include "saga/db/pool.hpp"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <random>
#include <thread>

#include "saga/log/log.hpp"

namespace saga::db {
namespace {

sql::mysql::MySQL_Driver* Driver() {
  // The first call initialises the client library, which is not thread-safe: do it once.
  static sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  return driver;
}

}  // namespace

namespace detail {

void Rethrow(Connection* conn) {
  try {
    throw;
  } catch (const sql::SQLException& e) {
    Error err = Error::From(e);
    if (conn != nullptr && err.IsConnectionLost()) conn->MarkBroken();
    throw err;
  }
}

void BackoffBeforeRetry(int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int base = 20 << std::min(attempt, 6);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(base / 2 + std::uniform_int_distribution<int>(0, base)(rng)));
}

}  // namespace detail

Connection::Connection(const Options& o) {
  detail::Translate(nullptr, [&] {
    sql::ConnectOptionsMap props;
    props["hostName"] = sql::SQLString("tcp://" + o.host + ":" + std::to_string(o.port));
    props["userName"] = sql::SQLString(o.user);
    props["password"] = sql::SQLString(o.password);
    if (!o.database.empty()) props["schema"] = sql::SQLString(o.database);
    props["OPT_CONNECT_TIMEOUT"] = static_cast<int>(o.connect_timeout.count());
    props["OPT_READ_TIMEOUT"] = static_cast<int>(o.read_timeout.count());
    props["OPT_WRITE_TIMEOUT"] = static_cast<int>(o.read_timeout.count());
    props["OPT_RECONNECT"] = false;  // we replace broken connections ourselves, never mid-transaction
    props["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    // Affected rows count rows changed, not rows matched: INSERT ... ON DUPLICATE KEY UPDATE
    // reports 0 for a duplicate it left as it was (PlaceOrders relies on that).
    props["CLIENT_FOUND_ROWS"] = false;
    conn_.reset(Driver()->connect(props));
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    st->execute("SET time_zone = '+00:00'");
    conn_->setAutoCommit(o.autocommit);
  });
}

Connection::~Connection() {
  statements_.clear();
  if (conn_) {
    try {
      conn_->close();
    } catch (const sql::SQLException& e) {
      log::Debug("closing a database connection failed", {{"error", e.what()}});
    }
  }
}

sql::PreparedStatement& Connection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) return *it->second;
  return detail::Translate(this, [&]() -> sql::PreparedStatement& {
    auto [pos, _] =
        statements_.emplace(sql, std::unique_ptr<sql::PreparedStatement>(conn_->prepareStatement(sql)));
    return *pos->second;
  });
}

std::uint64_t Connection::Execute(const std::string& sql) {
  return detail::Translate(this, [&] {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    return static_cast<std::uint64_t>(st->executeUpdate(sql));
  });
}

std::unique_ptr<sql::ResultSet> Connection::Query(const std::string& sql) {
  return detail::Translate(this, [&] {
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    return std::unique_ptr<sql::ResultSet>(st->executeQuery(sql));
  });
}

void Connection::Commit() {
  detail::Translate(this, [&] { conn_->commit(); });
}

void Connection::Rollback() {
  detail::Translate(this, [&] { conn_->rollback(); });
}

Pool::Pool(Options options) : options_(std::move(options)) { Driver(); }

Pool::~Pool() = default;

Pool::Lease::~Lease() {
  if (pool_ != nullptr && conn_) pool_->Release(std::move(conn_));
}

Pool::Lease Pool::Acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.pool_size) {
      ++open_;
      lock.unlock();
      try {
        return Lease(this, std::make_unique<Connection>(options_));
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      throw Error("no database connection free within " +
                      std::to_string(options_.acquire_timeout.count()) + " ms",
                  -1, "HY000");
    }
  }
}

void Pool::Release(std::unique_ptr<Connection> conn) {
  std::vector<std::unique_ptr<Connection>> dropped;
  {
    std::lock_guard lock(mu_);
    if (conn->Broken()) {
      // One lost connection usually means the server restarted: the idle ones are dead too.
      // Drop them all so callers reconnect at once instead of failing once per connection.
      dropped = std::move(idle_);
      idle_.clear();
      open_ -= static_cast<int>(dropped.size()) + 1;
      dropped.push_back(std::move(conn));
    } else {
      idle_.push_back(std::move(conn));
    }
  }
  cv_.notify_all();
  // `dropped` closes outside the lock; new connections are made on demand.
}

bool Pool::Ping() {
  try {
    return InTransaction(
        *this, [](Transaction& tx) {
          auto rs = tx.Conn().Query("SELECT 1");
          tx.Commit();
          return rs->next();
        },
        2);  // a connection that died with a restarted server is dropped; the retry reconnects
  } catch (const Error& e) {
    log::Warn("database ping failed", {{"error", e.what()}});
    return false;
  }
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    conn_.Rollback();
  } catch (const Error& e) {
    conn_.MarkBroken();
    log::Debug("rollback failed; connection dropped", {{"error", e.what()}});
  }
}

void Transaction::Commit() {
  commit_attempted_ = true;
  conn_.Commit();
  done_ = true;
}

}  // namespace saga::db
