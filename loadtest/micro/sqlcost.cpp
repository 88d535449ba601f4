// MariaDB/MySQL server CPU per inserted outbox row: the same rows written as one text statement
// with the values as literals, or as prepared statements in chunks (db::ExecuteRows, db::ChunkSizes:
// what the services do). Run by loadtest/ceilings against the local stack; see loadtest/README.md.
//
//   sqlcost --host H --port P --user U --password W --server-pid PID [--rows 7,42,127,200]
//           [--total-rows 40000] [--with-event-index]
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/db/pool.hpp"
#include "saga/db/rows.hpp"

namespace {

using namespace saga;

constexpr const char* kHead =
    "INSERT INTO sqlcost_outbox (event_id, event_type, order_id, envelope, traceparent, created_at) VALUES ";
constexpr const char* kRow = "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6))";
constexpr const char* kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

// CPU seconds (user + system) the process has used so far, from /proc/PID/stat.
double ProcessCpu(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(line.substr(line.rfind(')') + 2));  // fields from the 3rd (state) on
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);  // 14 utime, 15 stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A single-quoted literal for the session's default SQL mode (the tool's values only).
std::string Literal(const std::string& v) {
  std::string s(1, '\'');
  for (const char c : v) {
    if (c == '\'' || c == '\\') s += c;
    s += c;
  }
  s += '\'';
  return s;
}

struct Row {
  std::string event_id, order_id, envelope;
};

std::vector<Row> MakeRows(std::size_t n) {
  std::vector<Row> rows;
  rows.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto env = contracts::Envelope::New(
        contracts::OrderCreated::kType, contracts::NewUuid(),
        contracts::OrderCreated{contracts::UserId(42), {{contracts::ProductId(3), 2}, {contracts::ProductId(7), 1}},
                                std::nullopt});
    rows.push_back({env.event_id, env.order_id, env.Serialize()});
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Server CPU per inserted outbox row: text literals vs prepared chunks"};
  db::Options o;
  int pid = 0;
  std::vector<std::size_t> sizes{7, 42, 127, 200};
  std::size_t total = 40000;
  bool event_index = false;
  app.add_option("--host", o.host)->required();
  app.add_option("--port", o.port)->required();
  app.add_option("--user", o.user)->required();
  app.add_option("--password", o.password)->required();
  app.add_option("--server-pid", pid, "the database server's process id (its CPU is read from /proc)")->required();
  app.add_option("--rows", sizes, "rows per transaction, one measurement each")->delimiter(',');
  app.add_option("--total-rows", total, "rows written per measurement and way")->check(CLI::Range(100, 10000000));
  app.add_flag("--with-event-index", event_index,
               "give the table the unique index on event_id that the outbox used to have");
  CLI11_PARSE(app, argc, argv);

  try {
    db::Connection conn(o);
    conn.Execute("CREATE DATABASE IF NOT EXISTS saga_bench");
    conn.Execute("USE saga_bench");
    conn.Execute("DROP TABLE IF EXISTS sqlcost_outbox");
    // A copy of the order service's outbox table as deployed (deploy/mysql), so it cannot drift.
    conn.Execute("CREATE TABLE sqlcost_outbox LIKE order_db.outbox");
    if (event_index) conn.Execute("ALTER TABLE sqlcost_outbox ADD UNIQUE KEY uq_sqlcost_event (event_id)");
    conn.Commit();
    std::printf("%-6s %-24s %-24s %s\n", "rows", "text: server us/row", "prepared: server us/row", "statements");
    for (const auto k : sizes) {
      if (k < 1 || k > db::kMaxChunk) throw std::invalid_argument("--rows values must be 1..256");
      const auto batches = std::max<std::size_t>(1, total / k);
      const auto rows = MakeRows(batches * k * 2);
      std::size_t next = 0;
      // Text: one statement per transaction, every value a literal.
      const double t0 = ProcessCpu(pid);
      for (std::size_t b = 0; b < batches; ++b) {
        std::string sql = kHead;
        for (std::size_t i = 0; i < k; ++i, ++next) {
          const auto& r = rows[next];
          if (i > 0) sql += ", ";
          sql += "(" + Literal(r.event_id) + ", 'order.created', " + Literal(r.order_id) + ", " +
                 Literal(r.envelope) + ", " + Literal(kTraceparent) + ", UTC_TIMESTAMP(6))";
        }
        conn.Execute(sql);
        conn.Commit();
      }
      const double t1 = ProcessCpu(pid);
      // Prepared: the services' path, db::ChunkSizes(k) statements.
      for (std::size_t b = 0; b < batches; ++b) {
        db::ExecuteRows(conn, kHead, kRow, k, [&](auto& st, std::size_t i, int p) {
          const auto& r = rows[next + i];
          st.setString(p, r.event_id);
          st.setString(p + 1, "order.created");
          st.setString(p + 2, r.order_id);
          st.setString(p + 3, r.envelope);
          st.setString(p + 4, kTraceparent);
        });
        next += k;
        conn.Commit();
      }
      const double t2 = ProcessCpu(pid);
      const double n = static_cast<double>(batches * k);
      std::printf("%-6zu %-24.1f %-24.1f %zu per transaction\n", k, (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6,
                  db::ChunkSizes(k).size());
      conn.Execute("TRUNCATE TABLE sqlcost_outbox");
    }
    conn.Execute("DROP TABLE sqlcost_outbox");
  } catch (const std::exception& e) {
    std::cerr << "sqlcost: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
