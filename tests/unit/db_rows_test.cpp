#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

#include "saga/db/rows.hpp"

namespace {

// Stands in for Connection::Quote (which needs a server): marks each value so a test can see
// where it went and that nothing inside it was read as a placeholder.
std::string Mark(std::string_view v) {
  std::string s(1, '<');
  s.append(v);
  s += '>';
  return s;
}

}  // namespace

TEST_CASE("RepeatRows joins copies of a row between a head and a tail", "[db]") {
  CHECK(saga::db::RepeatRows("INSERT INTO t (a, b) VALUES ", "(?, ?)", 2) ==
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
  CHECK(saga::db::RepeatRows("SELECT x FROM t WHERE id IN (", "?", 3, ")") == "SELECT x FROM t WHERE id IN (?, ?, ?)");
  CHECK(saga::db::RepeatRows("(", "SELECT ? AS a", 2, ") v", " UNION ALL ") == "(SELECT ? AS a UNION ALL SELECT ? AS a) v");
}

TEST_CASE("A row's values replace its placeholders in order, each as its literal", "[db]") {
  saga::db::RowLiterals row(Mark);
  std::string sql = "INSERT INTO t VALUES ";
  row.setString(1, "it's ? not a placeholder");
  row.setInt64(2, -9007199254740993LL);
  row.setInt(3, 7);
  saga::db::BindOptional(row, 4, std::nullopt);
  saga::db::BindOptional(row, 5, std::string("x"));
  row.AppendRow(sql, "(?, ?, ?, 'LIT', ?, ?, UTC_TIMESTAMP(3))");
  CHECK(sql == "INSERT INTO t VALUES (<it's ? not a placeholder>, -9007199254740993, 7, 'LIT', NULL, <x>, UTC_TIMESTAMP(3))");

  // Bound out of order, the values still land by index; Clear starts the next row.
  row.Clear();
  row.setInt(2, 2);
  row.setInt(1, 1);
  sql.clear();
  row.AppendRow(sql, "(?, ?)");
  CHECK(sql == "(1, 2)");
}

TEST_CASE("A row with a missing, extra or misplaced value is refused", "[db]") {
  saga::db::RowLiterals row(Mark);
  std::string sql;
  row.setInt(1, 1);
  CHECK_THROWS_AS(row.AppendRow(sql, "(?, ?)"), std::logic_error);  // too few values
  CHECK_THROWS_AS(row.AppendRow(sql, "(1)"), std::logic_error);     // a value without a '?'
  row.Clear();
  row.setInt(2, 2);  // parameter 1 never bound
  CHECK_THROWS_AS(row.AppendRow(sql, "(?, ?)"), std::logic_error);
  CHECK_THROWS_AS(row.setInt(0, 1), std::logic_error);
}
