#include <catch2/catch.hpp>
#include <numeric>

#include "saga/db/rows.hpp"

TEST_CASE("Multi-row statements run in chunks of 64, 8 and 1 rows", "[db]") {
  using V = std::vector<std::size_t>;
  CHECK(saga::db::ChunkSizes(0).empty());
  CHECK(saga::db::ChunkSizes(1) == V{1});
  CHECK(saga::db::ChunkSizes(75) == V{64, 8, 1, 1, 1});
  for (std::size_t n = 0; n < 600; ++n) {
    const auto c = saga::db::ChunkSizes(n);
    CHECK(std::accumulate(c.begin(), c.end(), std::size_t{0}) == n);
    CHECK(std::count(c.begin(), c.end(), 1) < 8);
    CHECK(std::count(c.begin(), c.end(), 8) < 8);
  }
  CHECK(saga::db::RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) ==
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
  CHECK(saga::db::RepeatRows("SELECT x FROM t WHERE id IN (", "?", 3, ")") == "SELECT x FROM t WHERE id IN (?, ?, ?)");
  CHECK(saga::db::RepeatRows("(", "SELECT ? AS a", 2, ") v", " UNION ALL ") == "(SELECT ? AS a UNION ALL SELECT ? AS a) v");
}
