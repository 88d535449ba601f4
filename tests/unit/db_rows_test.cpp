#include <catch2/catch.hpp>
#include <algorithm>
#include <numeric>
#include <set>

#include "saga/db/rows.hpp"

TEST_CASE("Multi-row statements run in chunks of 256 rows, then powers of two", "[db]") {
  using V = std::vector<std::size_t>;
  CHECK(saga::db::ChunkSizes(0).empty());
  CHECK(saga::db::ChunkSizes(1) == V{1});
  CHECK(saga::db::ChunkSizes(3) == V{2, 1});
  CHECK(saga::db::ChunkSizes(75) == V{64, 8, 2, 1});
  CHECK(saga::db::ChunkSizes(200) == V{128, 64, 8});
  CHECK(saga::db::ChunkSizes(600) == V{256, 256, 64, 16, 8});
  std::set<std::size_t> shapes;
  for (std::size_t n = 0; n < 600; ++n) {
    const auto c = saga::db::ChunkSizes(n);
    CHECK(std::accumulate(c.begin(), c.end(), std::size_t{0}) == n);
    CHECK(std::is_sorted(c.rbegin(), c.rend()));
    for (std::size_t i = 1; i < c.size(); ++i) CHECK((c[i] < c[i - 1] || c[i] == 256));  // each size below 256 once
    shapes.insert(c.begin(), c.end());
  }
  CHECK(shapes == std::set<std::size_t>{1, 2, 4, 8, 16, 32, 64, 128, 256});
  CHECK(saga::db::RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) ==
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
  CHECK(saga::db::RepeatRows("SELECT x FROM t WHERE id IN (", "?", 3, ")") == "SELECT x FROM t WHERE id IN (?, ?, ?)");
  CHECK(saga::db::RepeatRows("(", "SELECT ? AS a", 2, ") v", " UNION ALL ") == "(SELECT ? AS a UNION ALL SELECT ? AS a) v");
}
