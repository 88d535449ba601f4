#pragma once

#include <stdexcept>
#include <string>

namespace sql {
class SQLException;
}

namespace saga::db {

/// Every database failure, translated from sql::SQLException in one place.
class Error : public std::runtime_error {
 public:
  Error(std::string message, int code, std::string sql_state);
  static Error From(const sql::SQLException& e);

  int Code() const { return code_; }
  const std::string& SqlState() const { return sql_state_; }
  /// The connection is unusable (server gone, restarted, killed, unreachable).
  bool IsConnectionLost() const;
  /// Deadlock or lock wait timeout: the transaction was rolled back and may be retried.
  bool IsTransient() const;
  /// Retrying later may succeed (connection lost or transient).
  bool IsRetryable() const { return IsConnectionLost() || IsTransient(); }
  /// The statement's data can never be stored (a value out of range, too long or malformed, a
  /// constraint it violates): retrying the same event cannot succeed. Everything else (lost
  /// connection, lock conflicts, missing grants, a full disk) may pass and is retried.
  bool IsPermanent() const;
  bool IsDuplicateKey() const { return code_ == 1062; }

 private:
  int code_;
  std::string sql_state_;
};

}  // namespace saga::db
