#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "saga/log/log.hpp"

TEST_CASE("A log line is one JSON object with the standard keys and the fields", "[log]") {
  const auto line = saga::log::FormatLine(
      "order", saga::log::Level::kWarn, "multi\nline \"msg\"",
      {{"orderId", "o-1"}, {"traceparent", "00-abc"}, {"n", 3}});
  CHECK(line.find('\n') == std::string::npos);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["level"] == "warn");
  CHECK(j["service"] == "order");
  CHECK(j["msg"] == "multi\nline \"msg\"");
  CHECK(j["orderId"] == "o-1");
  CHECK(j["traceparent"] == "00-abc");
  CHECK(j["n"] == 3);
  CHECK(j["ts"].get<std::string>().back() == 'Z');
}

TEST_CASE("Invalid UTF-8 in a message does not break the line", "[log]") {
  const auto line = saga::log::FormatLine("x", saga::log::Level::kInfo, "bad \xff byte", {});
  CHECK_NOTHROW(nlohmann::json::parse(line));
}
