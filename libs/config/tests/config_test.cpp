#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "saga/config/common.hpp"
#include "saga/config/env.hpp"
#include "saga/config/program.hpp"

using Vars = std::map<std::string, std::string>;
using saga::config::CommonConfig;
using saga::config::ConfigError;
using saga::config::Env;

namespace {
const saga::config::ServiceDefaults kDefaults{
    .service = "order", .http_port = 8080, .db_user = "u", .db_password = "p", .db_name = "d"};
}

TEST_CASE("Env parses integers and rejects bad ones naming the variable", "[config]") {
  Env env({{"HTTP_PORT", "9090"}, {"BAD", "12x"}, {"BIG", "70000"}});
  CHECK(env.Int("HTTP_PORT", 1, 1, 65535) == 9090);
  CHECK(env.Int("UNSET", 7, 1, 10) == 7);
  CHECK_THROWS_WITH(env.Int("BAD", 1, 1, 100), Catch::Contains("BAD") && Catch::Contains("not an integer"));
  CHECK_THROWS_WITH(env.Int("BIG", 1, 1, 65535), Catch::Contains("BIG") && Catch::Contains("out of range"));
}

TEST_CASE("Env reads booleans lists and required strings", "[config]") {
  Env env({{"ON", "true"}, {"OFF", "0"}, {"ODD", "maybe"}, {"L", " a, b ,,c "}});
  CHECK(env.Bool("ON", false));
  CHECK_FALSE(env.Bool("OFF", true));
  CHECK_THROWS_WITH(env.Bool("ODD", true), Catch::Contains("ODD"));
  CHECK(env.List("L", "") == std::vector<std::string>{"a", "b", "c"});
  CHECK_THROWS_WITH(env.RequiredString("NOPE"), Catch::Contains("NOPE"));
}

TEST_CASE("CommonConfig uses service defaults and validates each variable", "[config]") {
  const auto c = CommonConfig::Load(Env(Vars{}), kDefaults);
  CHECK(c.http.port == 8080);
  CHECK(c.db.user == "u");
  CHECK(c.db.port == 3307);
  CHECK(c.kafka.linger_ms == 2);

  const auto o = CommonConfig::Load(Env(Vars{{"HTTP_PORT", "1234"}, {"DB_POOL_SIZE", "3"}}), kDefaults);
  CHECK(o.http.port == 1234);
  CHECK(o.db.pool_size == 3);

  CHECK_THROWS_WITH(CommonConfig::Load(Env(Vars{{"HTTP_PORT", "abc"}}), kDefaults), Catch::Contains("HTTP_PORT"));
  CHECK_THROWS_WITH(CommonConfig::Load(Env(Vars{{"CONSUMER_THREADS", "0"}}), kDefaults),
                    Catch::Contains("CONSUMER_THREADS"));
  CHECK_THROWS_WITH(CommonConfig::Load(Env(Vars{{"LOG_LEVEL", "loud"}}), kDefaults), Catch::Contains("LOG_LEVEL"));
  CHECK_THROWS_AS(CommonConfig::Load(Env(Vars{{"DB_PORT", "-1"}}), kDefaults), ConfigError);

  CHECK(c.relay_wake.empty());  // no hints unless asked for
  CHECK(CommonConfig::Load(Env(Vars{{"RELAY_WAKE_ADDR", "relay:8084"}}), kDefaults).relay_wake == "relay:8084");
  for (const auto* bad : {"relay", "relay:", "relay:port", "relay:99999", "relay:123456"}) {
    INFO(bad);
    CHECK_THROWS_WITH(CommonConfig::Load(Env(Vars{{"RELAY_WAKE_ADDR", bad}}), kDefaults),
                      Catch::Contains("RELAY_WAKE_ADDR"));
  }
}

TEST_CASE("SplitHostPort reads host and port and rejects anything else naming the setting", "[config]") {
  using saga::config::SplitHostPort;
  using HostPort = std::pair<std::string, std::string>;
  CHECK(SplitHostPort("127.0.0.1:8084", "X") == HostPort{"127.0.0.1", "8084"});
  CHECK(SplitHostPort("relay:8084", "X") == HostPort{"relay", "8084"});
  CHECK(SplitHostPort("[::1]:9", "X") == HostPort{"::1", "9"});
  CHECK(SplitHostPort(":8084", "X") == HostPort{"", "8084"});
  for (const auto* bad : {"relay", "relay:", "relay:80x", "relay:70000", "relay:123456"}) {
    INFO(bad);
    CHECK_THROWS_WITH(SplitHostPort(bad, "SOME_ADDR"), Catch::Contains("SOME_ADDR") && Catch::Contains(bad));
  }
}

TEST_CASE("Env::FromFile reads the stack.env format", "[config]") {
  const std::string path = "config_test_stack.env";
  {
    std::ofstream f(path);
    f << "# comment\nKAFKA_BOOTSTRAP=127.0.0.1:1234\nexport DB_PORT=13307\nQUOTED='x y'\n";
  }
  const auto env = Env::FromFile(path);
  std::remove(path.c_str());
  CHECK(env.String("KAFKA_BOOTSTRAP", "") == "127.0.0.1:1234");
  CHECK(env.Int("DB_PORT", 0, 1, 65535) == 13307);
  CHECK(env.String("QUOTED", "") == "x y");
  CHECK_THROWS_AS(Env::FromFile("does/not/exist.env"), ConfigError);
}

TEST_CASE("Env::Record notes each setting read once, with its default, range and meaning", "[config]") {
  auto seen = std::make_shared<std::vector<saga::config::SettingInfo>>();
  Env env(Vars{{"N", "5"}});
  env.Record(seen);
  env.Int("N", 3, 1, 9, "a number");
  env.String("S", "x", "a text");
  env.Bool("B", true, "a switch");
  env.Int("N", 4, 1, 9, "read again");
  env.List("L", "a,b", "a list");
  REQUIRE(seen->size() == 4);
  CHECK((*seen)[0].name == "N");
  CHECK((*seen)[0].fallback == "3");  // the default, not the value set
  CHECK((*seen)[0].range == "1..9");
  CHECK((*seen)[0].meaning == "a number");
  CHECK((*seen)[1].fallback == "x");
  CHECK((*seen)[1].range.empty());
  CHECK((*seen)[2].fallback == "true");
  CHECK((*seen)[2].range == "true|false");
  CHECK((*seen)[3].name == "L");
  CHECK((*seen)[3].fallback == "a,b");
}

TEST_CASE("CommonConfig reads every common setting with a meaning", "[config]") {
  auto seen = std::make_shared<std::vector<saga::config::SettingInfo>>();
  Env env(Vars{});
  env.Record(seen);
  CommonConfig::Load(env, kDefaults);
  CHECK(seen->size() >= 16);
  for (const auto& s : *seen) {
    INFO(s.name);
    CHECK_FALSE(s.meaning.empty());
  }
}

TEST_CASE("Wrap breaks text at spaces within the width and indents each line", "[config]") {
  using saga::config::Wrap;
  CHECK(Wrap("one two three", 2, 9) == "  one two\n  three\n");
  CHECK(Wrap("averyveryverylongword x", 0, 5) == "averyveryverylongword\nx\n");
  CHECK(Wrap("", 4, 10) == "\n");
}
