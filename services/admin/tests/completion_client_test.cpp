#include <catch2/catch.hpp>
#include <stdexcept>

#include "saga/admin/completion_client.hpp"

using namespace saga::admin;

TEST_CASE("Completion URLs are http with a host and an optional port and path", "[admin]") {
  const auto a = ParseHttpUrl("http://127.0.0.1:18083");
  CHECK((a.host == "127.0.0.1" && a.port == "18083" && a.base_path.empty()));
  const auto b = ParseHttpUrl("http://completion/api/");
  CHECK((b.host == "completion" && b.port == "80" && b.base_path == "/api"));
  for (const auto* bad : {"https://x:1", "127.0.0.1:8083", "http://", "http://x:", "http://x:99999", "http://x:8a",
                          "http://u@x:1", "http://x:1/?q=1"}) {
    CHECK_THROWS_AS(ParseHttpUrl(bad), std::invalid_argument);
  }
}

TEST_CASE("An order id is one path segment", "[admin]") {
  CHECK(PercentEncode("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b") == "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
  CHECK(PercentEncode("a/b c?%") == "a%2Fb%20c%3F%25");
}

TEST_CASE("The saga's status and reason come from GET sagas answers", "[admin]") {
  const auto cancelled = ParseSagaAnswer(200, R"({"orderId":"o-1","status":"CANCELLED","reason":"TIMED_OUT"})");
  CHECK(cancelled.found);
  CHECK(cancelled.IsFinal());
  CHECK(cancelled.reason == "TIMED_OUT");
  CHECK(FinalSagaNote("o-1", cancelled) == "saga o-1 is already CANCELLED (TIMED_OUT): redriving changes nothing");

  const auto completed = ParseSagaAnswer(200, R"({"orderId":"o-2","status":"COMPLETED","reason":null})");
  CHECK(completed.IsFinal());
  CHECK_FALSE(completed.reason);
  CHECK(FinalSagaNote("o-2", completed) == "saga o-2 is already COMPLETED: redriving changes nothing");

  CHECK_FALSE(ParseSagaAnswer(200, R"({"status":"PENDING","reason":null})").IsFinal());
  const auto unknown = ParseSagaAnswer(404, R"({"error":{"code":"SAGA_NOT_FOUND"}})");
  CHECK_FALSE(unknown.found);
  CHECK_FALSE(unknown.IsFinal());
  CHECK_THROWS_AS(ParseSagaAnswer(500, "oops"), std::runtime_error);
  CHECK_THROWS_AS(ParseSagaAnswer(200, "not json"), std::runtime_error);
  CHECK_THROWS_AS(ParseSagaAnswer(200, R"({"reason":null})"), std::runtime_error);
}
