#include <catch2/catch.hpp>

#include "saga/http/router.hpp"

using saga::http::Request;
using saga::http::Response;
using saga::http::Router;

namespace {
Response Ok(const Request&) { return Response::Json(200, {}); }
}

TEST_CASE("Router captures path parameters and prefers literal segments", "[http]") {
  Router r;
  r.Add("GET", "/products/{id}", Ok);
  r.Add("GET", "/products/top", Ok);
  r.Add("PUT", "/products/{id}/stock", Ok);

  auto m = r.Find("GET", "/products/42");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->pattern == "/products/{id}");
  CHECK(m.params.at("id") == "42");

  m = r.Find("GET", "/products/top");
  REQUIRE(m.route != nullptr);
  CHECK(m.route->pattern == "/products/top");

  m = r.Find("PUT", "/products/7/stock/");
  REQUIRE(m.route != nullptr);
  CHECK(m.params.at("id") == "7");
}

TEST_CASE("Router tells an unknown path from a known path with another method", "[http]") {
  Router r;
  r.Add("POST", "/orders", Ok);
  auto m = r.Find("GET", "/orders");
  CHECK(m.route == nullptr);
  CHECK(m.path_known);
  m = r.Find("GET", "/nothing");
  CHECK(m.route == nullptr);
  CHECK_FALSE(m.path_known);
  CHECK(r.Find("POST", "/orders/extra").route == nullptr);
}

TEST_CASE("An Idempotency-Key is 1..128 printable characters without spaces", "[http]") {
  CHECK_NOTHROW(saga::http::CheckIdempotencyKey("abc-123_XYZ"));
  CHECK_NOTHROW(saga::http::CheckIdempotencyKey(std::string(128, 'k')));
  for (const std::string& bad : {std::string(129, 'k'), std::string(), std::string("has space"),
                                std::string("tab\there")}) {
    INFO(bad);
    try {
      saga::http::CheckIdempotencyKey(bad);
      FAIL("accepted");
    } catch (const saga::http::HttpError& e) {
      CHECK(e.Status() == 400);
      CHECK(e.Field() == "Idempotency-Key");
    }
  }
}

TEST_CASE("SecretMatches accepts only the whole secret", "[http]") {
  using saga::http::SecretMatches;
  CHECK(SecretMatches("s3cret-token", "s3cret-token"));
  CHECK_FALSE(SecretMatches("s3cret-tokeN", "s3cret-token"));
  CHECK_FALSE(SecretMatches("s3cret-toke", "s3cret-token"));
  CHECK_FALSE(SecretMatches("s3cret-token-and-more", "s3cret-token"));
  CHECK_FALSE(SecretMatches("s3cret-tokens3cret-token", "s3cret-token"));  // the secret, cycled
  CHECK_FALSE(SecretMatches("", "s3cret-token"));
  CHECK_FALSE(SecretMatches("", ""));  // no secret set: nothing matches
}
