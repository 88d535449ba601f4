#include <catch2/catch.hpp>

#include "saga/relay/app.hpp"

using Vars = std::map<std::string, std::string>;
using saga::config::ConfigError;
using saga::config::Env;
using saga::relay::RelayConfig;

TEST_CASE("Relay config defaults to every saga schema", "[relay]") {
  const auto c = RelayConfig::Load(Env(Vars{}));
  CHECK(c.schemas == std::vector<std::string>{"order_db", "stock_db", "payment_db", "completion_db"});
  CHECK(c.common.http.port == 8084);
  CHECK(c.common.db.user == "relay");
  CHECK_FALSE(c.crash_after_publish);
  CHECK(c.busy_pause_ms == 30);
  CHECK(RelayConfig::Load(Env(Vars{{"RELAY_BUSY_PAUSE_MS", "0"}})).busy_pause_ms == 0);
}

TEST_CASE("Relay config rejects bad values naming the variable", "[relay]") {
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_SCHEMAS", "order_db,x;drop"}})),
                    Catch::Contains("RELAY_SCHEMAS"));
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_SCHEMAS", " , "}})), Catch::Contains("RELAY_SCHEMAS"));
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_BATCH_SIZE", "0"}})), Catch::Contains("RELAY_BATCH_SIZE"));
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_BUSY_PAUSE_MS", "-1"}})),
                    Catch::Contains("RELAY_BUSY_PAUSE_MS"));
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_FAILPOINT", "sometimes"}})),
                    Catch::Contains("RELAY_FAILPOINT"));
  CHECK(RelayConfig::Load(Env(Vars{{"RELAY_FAILPOINT", "after_publish"}})).crash_after_publish);
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_WAKE_BIND", "8084"}})),
                    Catch::Contains("RELAY_WAKE_BIND"));
  CHECK_THROWS_WITH(RelayConfig::Load(Env(Vars{{"RELAY_WAKE_MIN_GAP_MS", "-5"}})),
                    Catch::Contains("RELAY_WAKE_MIN_GAP_MS"));
}

TEST_CASE("Relay wake-up hints are off unless RELAY_WAKE_BIND is set", "[relay]") {
  const auto off = RelayConfig::Load(Env(Vars{}));
  CHECK(off.wake_bind.empty());
  CHECK(off.wake_min_gap_ms == 5);
  const auto on = RelayConfig::Load(Env(Vars{{"RELAY_WAKE_BIND", "0.0.0.0:8084"}, {"RELAY_WAKE_MIN_GAP_MS", "0"}}));
  CHECK(on.wake_bind == "0.0.0.0:8084");
  CHECK(on.wake_min_gap_ms == 0);
}
