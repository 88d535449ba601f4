#pragma once

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "saga/db/pool.hpp"

namespace saga::db {

/// Multi-row statements (INSERT ... VALUES (..), (..); WHERE id IN (?, ?, ..)) over `n` rows run
/// in chunks of 64, then 8, then 1 rows, so a connection prepares at most three statements per
/// SQL shape however the batch sizes vary. Returns the chunk sizes, largest first; they sum to n.
std::vector<std::size_t> ChunkSizes(std::size_t n);

/// `head` + `k` copies of `row` joined by `separator` + `tail`, e.g.
/// RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) == "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)".
std::string RepeatRows(std::string_view head, std::string_view row, std::size_t k, std::string_view tail = "",
                       std::string_view separator = ", ");

/// Runs `head` + `row` x n (joined by `separator`) + `tail` in chunks (ChunkSizes). `bind(st, i, p)`
/// binds row i (0..n-1) with its first parameter at index p. Returns the affected rows of all chunks.
template <typename Bind>
std::uint64_t ExecuteRows(Connection& conn, std::string_view head, std::string_view row, std::size_t n,
                          Bind&& bind, std::string_view tail = "", std::string_view separator = ", ") {
  const auto per_row = static_cast<int>(std::count(row.begin(), row.end(), '?'));
  std::uint64_t affected = 0;
  std::size_t at = 0;
  for (const auto k : ChunkSizes(n)) {
    auto& st = conn.Prepare(RepeatRows(head, row, k, tail, separator));
    for (std::size_t i = 0; i < k; ++i) bind(st, at + i, static_cast<int>(i) * per_row + 1);
    affected += static_cast<std::uint64_t>(st.executeUpdate());
    at += k;
  }
  return affected;
}

/// Runs `head` + "?, ?, .." + `tail` (a WHERE ... IN (...) query) over `keys` in chunks, calling
/// `on_row(result_set)` for each row of each chunk's result.
template <typename Key, typename OnRow>
void QueryIn(Connection& conn, std::string_view head, const std::vector<Key>& keys, OnRow&& on_row,
             std::string_view tail = ")") {
  std::size_t at = 0;
  for (const auto k : ChunkSizes(keys.size())) {
    auto& st = conn.Prepare(RepeatRows(head, "?", k, tail));
    for (std::size_t i = 0; i < k; ++i) {
      if constexpr (std::is_integral_v<Key>) {
        st.setInt64(static_cast<int>(i + 1), static_cast<std::int64_t>(keys[at + i]));
      } else {
        st.setString(static_cast<int>(i + 1), keys[at + i]);
      }
    }
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) on_row(*rs);
    at += k;
  }
}

}  // namespace saga::db
