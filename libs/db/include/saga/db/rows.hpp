#pragma once

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "saga/db/pool.hpp"

namespace saga::db {

inline constexpr std::size_t kMaxChunk = 256;

/// `head` + `k` copies of `row` joined by `separator` + `tail`, e.g.
/// RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) == "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)".
std::string RepeatRows(std::string_view head, std::string_view row, std::size_t k, std::string_view tail = "",
                       std::string_view separator = ", ");

/// One row's values for a multi-row statement sent as text. Bound like a prepared statement's
/// parameters (1-based), each value is kept as an SQL literal; strings go through `quote`
/// (ExecuteRows passes Connection::Quote: escaped by the client library for the connection's
/// character set and SQL mode), so a value is data, never SQL.
class RowLiterals {
 public:
  using Quote = std::function<std::string(std::string_view)>;
  explicit RowLiterals(Quote quote) : quote_(std::move(quote)) {}

  void setString(int index, std::string_view value);
  void setInt(int index, std::int32_t value) { Put(index, std::to_string(value)); }
  void setInt64(int index, std::int64_t value) { Put(index, std::to_string(value)); }
  void setNull(int index, int /*sql_type*/) { Put(index, "NULL"); }

  /// Appends `row` to `out` with its i-th '?' replaced by the i-th value. Every '?' in `row` is
  /// a parameter; throws std::logic_error unless each has a value and each value a '?'.
  void AppendRow(std::string& out, std::string_view row) const;
  void Clear() { values_.clear(); }

 private:
  void Put(int index, std::string literal);
  Quote quote_;
  std::vector<std::string> values_;
};

/// Binds `value`, or SQL NULL when it is empty.
void BindOptional(RowLiterals& row, int index, const std::optional<std::string>& value);

/// Runs `head` + `row` x n (joined by `separator`) + `tail` as few statements as possible: one
/// for up to 256 rows (kMaxChunk), with the values written into the text (RowLiterals), so every
/// batch size takes one round trip and no prepared statement is kept per size. `bind(row, i, p)`
/// binds row i (0..n-1) with its first parameter at index p. Returns the affected rows.
template <typename Bind>
std::uint64_t ExecuteRows(Connection& conn, std::string_view head, std::string_view row, std::size_t n,
                          Bind&& bind, std::string_view tail = "", std::string_view separator = ", ") {
  std::uint64_t affected = 0;
  RowLiterals values([&conn](std::string_view v) { return conn.Quote(v); });
  std::string sql;
  for (std::size_t at = 0; at < n;) {
    const auto k = std::min(kMaxChunk, n - at);
    sql.assign(head);
    for (std::size_t i = 0; i < k; ++i) {
      if (i > 0) sql += separator;
      values.Clear();
      bind(values, at + i, 1);
      values.AppendRow(sql, row);
    }
    sql += tail;
    affected += conn.Execute(sql);
    at += k;
  }
  return affected;
}

/// Runs `head` + "?, ?, .." + `tail` (a WHERE ... IN (...) query) over `keys`, calling
/// `on_row(result_set)` for each row of each chunk's result. Chunks hold up to 256 keys; a shorter
/// one is padded to the next power of two by repeating its last key (harmless in an IN list), so
/// up to 256 keys take one statement and a connection prepares at most nine per SQL shape.
template <typename Key, typename OnRow>
void QueryIn(Connection& conn, std::string_view head, const std::vector<Key>& keys, OnRow&& on_row,
             std::string_view tail = ")") {
  for (std::size_t at = 0; at < keys.size();) {
    const auto k = std::min(kMaxChunk, keys.size() - at);
    const auto padded = std::bit_ceil(k);
    auto& st = conn.Prepare(RepeatRows(head, "?", padded, tail));
    for (std::size_t i = 0; i < padded; ++i) {
      const auto& key = keys[at + std::min(i, k - 1)];
      if constexpr (std::is_integral_v<Key>) {
        st.setInt64(static_cast<int>(i + 1), static_cast<std::int64_t>(key));
      } else {
        st.setString(static_cast<int>(i + 1), key);
      }
    }
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) on_row(*rs);
    at += k;
  }
}

}  // namespace saga::db
