#include <catch2/catch.hpp>
#include <cppconn/resultset.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>

#include "saga/db/pool.hpp"
#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "support/stack.hpp"

using saga::db::Error;
using saga::db::InTransaction;
using saga::db::Pool;
using saga::db::Transaction;

namespace {

void InsertInbox(Transaction& tx, const std::string& id) {
  auto& st = tx.Conn().Prepare("INSERT INTO inbox (event_id, event_type, processed_at) VALUES (?, 't', UTC_TIMESTAMP(6))");
  st.setString(1, id);
  st.executeUpdate();
}

long long ConnectionId(Pool& pool) {
  return InTransaction(pool, [](Transaction& tx) {
    auto rs = tx.Conn().Query("SELECT CONNECTION_ID()");
    rs->next();
    const auto id = rs->getInt64(1);
    tx.Commit();
    return id;
  });
}

}  // namespace

TEST_CASE("InTransaction commits and a throw rolls everything back", "[db]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  InTransaction(pool, [](Transaction& tx) {
    InsertInbox(tx, "a");
    tx.Commit();
  });
  CHECK(schema.Count("inbox") == 1);
  CHECK_THROWS_WITH(InTransaction(pool,
                                  [](Transaction& tx) {
                                    InsertInbox(tx, "b");
                                    InsertInbox(tx, "c");
                                    throw std::runtime_error("business rule failed");
                                  }),
                    "business rule failed");
  CHECK(schema.Count("inbox") == 1);
}

TEST_CASE("A duplicate key is reported as such and not retried", "[db]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  int attempts = 0;
  try {
    InTransaction(pool, [&](Transaction& tx) {
      ++attempts;
      InsertInbox(tx, "dup");
      InsertInbox(tx, "dup");
      tx.Commit();
    });
    FAIL("expected a duplicate key error");
  } catch (const Error& e) {
    CHECK(e.IsDuplicateKey());
    CHECK_FALSE(e.IsRetryable());
  }
  CHECK(attempts == 1);
  CHECK(schema.Count("inbox") == 0);
}

TEST_CASE("A killed connection is replaced and the transaction retried", "[db]") {
  saga::test::ScratchSchema schema;
  auto options = schema.Db();
  options.pool_size = 1;
  Pool pool(options);
  const auto before = ConnectionId(pool);
  saga::test::AdminExec("KILL CONNECTION " + std::to_string(before));
  int attempts = 0;
  InTransaction(pool, [&](Transaction& tx) {
    ++attempts;
    InsertInbox(tx, "after-kill");
    tx.Commit();
  });
  CHECK(attempts == 2);
  CHECK(schema.Count("inbox") == 1);
  CHECK(ConnectionId(pool) != before);
}

TEST_CASE("An exhausted pool times out with a retryable error", "[db]") {
  auto options = saga::test::AdminDb();
  options.pool_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(200);
  Pool pool(options);
  auto held = pool.Acquire();
  try {
    pool.Acquire();
    FAIL("expected the acquire to time out");
  } catch (const Error& e) {
    CHECK(e.IsRetryable());
  }
}

TEST_CASE("The pool reconnects after a MariaDB restart", "[db][restart]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  InTransaction(pool, [](Transaction& tx) {
    InsertInbox(tx, "before-restart");
    tx.Commit();
  });
  auto server_pid = [] {
    std::ifstream f(saga::test::RunDir() + "/pids/mariadb.pid");
    long pid = 0;
    f >> pid;
    return pid;
  };
  const long before = server_pid();
  const std::string restart =
      "bash " SAGA_SOURCE_DIR "/tests/support/restart_mariadb '" + saga::test::RunDir() + "' >/dev/null";
  REQUIRE(std::system(restart.c_str()) == 0);
  REQUIRE(server_pid() != before);  // really a new server process
  InTransaction(pool, [](Transaction& tx) {
    InsertInbox(tx, "after-restart");
    tx.Commit();
  });
  CHECK(schema.Count("inbox") == 2);
  CHECK(pool.Ping());
}

TEST_CASE("QueryIn pads a short key list and still returns each row once", "[db]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  std::vector<std::string> all;
  InTransaction(pool, [&](Transaction& tx) {
    for (int i = 0; i < 100; ++i) {
      std::string key = "k";  // (not "k" + to_string: GCC 12's -Wrestrict false positive at -O3)
      key += std::to_string(i);
      all.push_back(key);
      InsertInbox(tx, all.back());
    }
    tx.Commit();
  });
  auto lookup = [&](const std::vector<std::string>& keys) {
    std::multiset<std::string> got;
    InTransaction(pool, [&](Transaction& tx) {
      saga::db::QueryIn(tx.Conn(), "SELECT event_id FROM inbox WHERE event_id IN (", keys,
                        [&](sql::ResultSet& rs) { got.insert(rs.getString(1).asStdString()); });
      tx.Commit();
    });
    return got;
  };
  CHECK(lookup({}).empty());
  CHECK(lookup({"k5", "k7", "missing"}) == std::multiset<std::string>{"k5", "k7"});  // padded to 4
  const std::vector<std::string> seventy(all.begin(), all.begin() + 70);  // padded to 128
  const auto got = lookup(seventy);
  CHECK(got.size() == 70);
  CHECK(got == std::multiset<std::string>(seventy.begin(), seventy.end()));
  std::vector<std::string> many;  // 300 keys, 100 of them known: 256, then 44 padded to 64
  for (int round = 0; round < 3; ++round) {
    for (const auto& k : all) many.push_back(round == 0 ? k : k + "-" + std::to_string(round));
  }
  CHECK(lookup(many) == std::multiset<std::string>(all.begin(), all.end()));
}

TEST_CASE("An autocommit connection's statements stand alone and a pool's wait for Commit", "[db]") {
  saga::test::ScratchSchema schema;
  auto options = schema.Db();
  {
    saga::db::Connection plain(options);
    plain.Execute("INSERT INTO inbox (event_id, event_type, processed_at) VALUES ('held', 't', UTC_TIMESTAMP(6))");
    CHECK(schema.Count("inbox") == 0);  // not committed: another session does not see it
  }  // closed without Commit: rolled back
  CHECK(schema.Count("inbox") == 0);
  options.autocommit = true;
  saga::db::Connection autocommit(options);
  autocommit.Execute("INSERT INTO inbox (event_id, event_type, processed_at) VALUES ('alone', 't', UTC_TIMESTAMP(6))");
  CHECK(schema.Count("inbox") == 1);
  CHECK(autocommit.Execute("DELETE FROM inbox WHERE event_id = 'alone'") == 1);
  CHECK(schema.Count("inbox") == 0);
}

TEST_CASE("Multi-row statements store every value byte for byte in every chunk, in any SQL mode", "[db]") {
  saga::test::ScratchSchema schema;
  Pool pool(schema.Db());
  const std::string nul("a\0b", 3);
  const std::vector<std::optional<std::string>> tricky = {
      "it's", "say \"hi\"", "back\\slash\\", nul, "line\nfeed\r\n", "ctrl-z \x1a", "? and ?", "",
      "주문 ✓ 😀", "'); DELETE FROM vals; --", "\\'; DROP TABLE vals; -- '", std::nullopt};
  auto write_and_read = [&](const std::string& mode_sql) {
    std::vector<std::optional<std::string>> values;
    for (int i = 0; i < 300; ++i) values.push_back(tricky[static_cast<std::size_t>(i) % tricky.size()]);
    std::vector<std::optional<std::string>> got(values.size());
    std::uint64_t affected = 0;
    InTransaction(pool, [&](Transaction& tx) {
      tx.Conn().Execute("CREATE TABLE IF NOT EXISTS vals (id INT PRIMARY KEY, v MEDIUMTEXT NULL) "
                        "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
      tx.Conn().Execute("DELETE FROM vals");
      if (!mode_sql.empty()) tx.Conn().Execute(mode_sql);
      // 300 rows: prepared chunks of 256, 32 and 12 rows.
      affected = saga::db::ExecuteRows(tx.Conn(), "INSERT INTO vals (id, v) VALUES ", "(?, ?)", values.size(),
                                       [&](auto& row, std::size_t i, int p) {
                                         row.setInt(p, static_cast<std::int32_t>(i));
                                         saga::db::BindOptional(row, p + 1, values[i]);
                                       });
      auto rs = tx.Conn().Query("SELECT id, v FROM vals ORDER BY id");
      while (rs->next()) {
        got.at(static_cast<std::size_t>(rs->getInt(1))) =
            rs->isNull(2) ? std::nullopt : std::optional<std::string>(rs->getString(2).asStdString());
      }
      tx.Conn().Execute("SET SESSION sql_mode = DEFAULT");
      tx.Commit();
    });
    CHECK(affected == values.size());
    CHECK(got == values);
  };
  write_and_read("");
  write_and_read("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
  write_and_read("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')");
}
