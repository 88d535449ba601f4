#pragma once

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "saga/db/pool.hpp"

namespace saga::db {

inline constexpr std::size_t kMaxChunk = 256;
inline constexpr std::size_t kChunkStep = 16;

/// Multi-row statements (INSERT ... VALUES (..), (..); WHERE id IN (?, ?, ..)) over `n` rows run
/// in chunks of 256 rows, then at most two for the rest: the multiple of 16 it holds and the
/// remainder below 16 (75 = 64 + 11). A batch of fewer than 256 rows takes one or two statements,
/// and a connection prepares at most 31 statements per SQL shape however the batch sizes vary.
/// Returns the chunk sizes, largest first; they sum to n.
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

/// QueryIn for a query that names its keys twice: `head` + "?, ?, .." + `middle` + "?, ?, .." +
/// ")", e.g. two SELECTs joined by UNION ALL, run in the same padded chunks.
template <typename OnRow>
void QueryInTwice(Connection& conn, std::string_view head, std::string_view middle,
                  const std::vector<std::string>& keys, OnRow&& on_row) {
  for (std::size_t at = 0; at < keys.size();) {
    const auto k = std::min(kMaxChunk, keys.size() - at);
    const auto padded = std::bit_ceil(k);
    auto& st = conn.Prepare(RepeatRows(head, "?", padded, middle) + RepeatRows("", "?", padded, ")"));
    for (std::size_t i = 0; i < padded; ++i) {
      const auto& key = keys[at + std::min(i, k - 1)];
      st.setString(static_cast<int>(i + 1), key);
      st.setString(static_cast<int>(padded + i + 1), key);
    }
    std::unique_ptr<sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) on_row(*rs);
    at += k;
  }
}

}  // namespace saga::db
