#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace saga::db {

/// Multi-row statements (INSERT ... VALUES (..), (..); WHERE id IN (?, ?, ..)) over `n` rows run
/// in chunks of 64, then 8, then 1 rows, so a connection prepares at most three statements per
/// SQL shape however the batch sizes vary. Returns the chunk sizes, largest first; they sum to n.
std::vector<std::size_t> ChunkSizes(std::size_t n);

/// `head` + `k` copies of `row` joined by ", " + `tail`, e.g.
/// RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) == "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)".
std::string RepeatRows(std::string_view head, std::string_view row, std::size_t k, std::string_view tail = "");

}  // namespace saga::db
