#include <catch2/catch.hpp>
#include <algorithm>
#include <numeric>
#include <set>

#include "saga/db/rows.hpp"

TEST_CASE("Multi-row statements run in chunks of 256 rows, then a multiple of 16 and the rest", "[db]") {
  using V = std::vector<std::size_t>;
  CHECK(saga::db::ChunkSizes(0).empty());
  CHECK(saga::db::ChunkSizes(1) == V{1});
  CHECK(saga::db::ChunkSizes(15) == V{15});
  CHECK(saga::db::ChunkSizes(16) == V{16});
  CHECK(saga::db::ChunkSizes(75) == V{64, 11});
  CHECK(saga::db::ChunkSizes(200) == V{192, 8});
  CHECK(saga::db::ChunkSizes(255) == V{240, 15});
  CHECK(saga::db::ChunkSizes(256) == V{256});
  CHECK(saga::db::ChunkSizes(600) == V{256, 256, 80, 8});
  std::set<std::size_t> shapes;
  for (std::size_t n = 0; n < 800; ++n) {
    const auto c = saga::db::ChunkSizes(n);
    CHECK(std::accumulate(c.begin(), c.end(), std::size_t{0}) == n);
    CHECK(std::is_sorted(c.rbegin(), c.rend()));
    CHECK(std::count_if(c.begin(), c.end(), [](std::size_t k) { return k < 256; }) <= 2);  // the rest: two at most
    shapes.insert(c.begin(), c.end());
  }
  std::set<std::size_t> expected{256};
  for (std::size_t k = 1; k < 16; ++k) expected.insert(k);
  for (std::size_t k = 16; k < 256; k += 16) expected.insert(k);
  CHECK(shapes == expected);
  CHECK(saga::db::RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) ==
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
  CHECK(saga::db::RepeatRows("SELECT x FROM t WHERE id IN (", "?", 3, ")") == "SELECT x FROM t WHERE id IN (?, ?, ?)");
  CHECK(saga::db::RepeatRows("(", "SELECT ? AS a", 2, ") v", " UNION ALL ") == "(SELECT ? AS a UNION ALL SELECT ? AS a) v");
}
