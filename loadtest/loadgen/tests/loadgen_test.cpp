#include <catch2/catch.hpp>
#include <cmath>
#include <set>
#include <stdexcept>

#include "saga/loadgen/order_mix.hpp"
#include "saga/loadgen/runner.hpp"
#include "saga/loadgen/schedule.hpp"
#include "saga/loadgen/stats.hpp"

using namespace saga::loadgen;

TEST_CASE("A held rate sends evenly spaced requests from the start", "[loadgen]") {
  const auto t = SendTimes({{2, 100}}, 100);
  REQUIRE(t.size() == 200);
  CHECK(t.front() == Approx(0));
  for (std::size_t i = 1; i < t.size(); ++i) CHECK(t[i] - t[i - 1] == Approx(0.01));
  CHECK(t.back() < 2.0);
}

TEST_CASE("A ramp sends the integral of its rate, denser towards the end", "[loadgen]") {
  // 0 -> 100/s over 10 s is 500 requests; then 5 s at 100/s is 500 more.
  const auto t = SendTimes({{10, 100}, {5, 100}});
  CHECK(t.size() == 1000);
  CHECK(std::is_sorted(t.begin(), t.end()));
  // Half the ramp's requests come in its last 10 / sqrt(2) = 2.93 s.
  const auto in_ramp = std::count_if(t.begin(), t.end(), [](double x) { return x < 10; });
  CHECK(in_ramp == 500);
  const auto late = std::count_if(t.begin(), t.end(), [](double x) { return x >= 10 / std::sqrt(2.0) && x < 10; });
  CHECK(late == Approx(250).margin(2));
  // Rate at ~5 s is ~50/s: gaps of ~20 ms.
  const auto mid = std::lower_bound(t.begin(), t.end(), 5.0);
  CHECK(*(mid + 1) - *mid == Approx(0.02).epsilon(0.05));
  CHECK(t.back() < 15.0);
}

TEST_CASE("Stages and id lists are parsed, bad ones refused", "[loadgen]") {
  CHECK(ParseStage("30s:500").seconds == 30);
  CHECK(ParseStage("2m:1000").seconds == 120);
  CHECK(ParseStage("500ms:10").seconds == Approx(0.5));
  CHECK(ParseStage("45:200").rate == 200);
  for (const char* bad : {"30s", "x:1", "30s:-1", "0s:10", "30s:"}) {
    CHECK_THROWS_AS(ParseStage(bad), std::invalid_argument);
  }
  CHECK(ParseIdList("3,5,9-12") == std::vector<std::int64_t>{3, 5, 9, 10, 11, 12});
  CHECK(ParseIdList("7") == std::vector<std::int64_t>{7});
  for (const char* bad : {"", "1,", "a", "5-3", "0", "1-x"}) {
    CHECK_THROWS_AS(ParseIdList(bad), std::invalid_argument);
  }
  CHECK(ParseUrl("http://127.0.0.1:8080/").port == "8080");
  CHECK_THROWS_AS(ParseUrl("https://x:1"), std::invalid_argument);
  CHECK_THROWS_AS(ParseUrl("http://x:1/orders"), std::invalid_argument);
}

TEST_CASE("The order mix draws seeded ids and builds the asked share to fail", "[loadgen]") {
  MixOptions o;
  o.users = {1, 2, 3};
  o.products = {10, 11, 12, 13};
  o.max_items = 3;
  o.max_quantity = 2;
  o.fail_share = 0.1;
  o.out_of_stock_product = 99;
  o.unknown_user = 98;
  OrderMix mix(o, 42);
  int oos = 0, unknown = 0, normal = 0;
  for (int i = 0; i < 10000; ++i) {
    const auto order = mix.Next();
    std::set<std::int64_t> products;
    for (const auto& [p, q] : order.items) {
      products.insert(p);
      CHECK((q >= 1 && q <= 2));
    }
    CHECK(products.size() == order.items.size());  // distinct products
    switch (order.kind) {
      case Kind::kOutOfStock:
        ++oos;
        CHECK(order.items == std::vector<std::pair<std::int64_t, int>>{{99, 1}});
        break;
      case Kind::kUnknownUser:
        ++unknown;
        CHECK(order.user == 98);
        break;
      case Kind::kCoupon:
        FAIL("no coupon orders without a coupon share");
        break;
      case Kind::kNormal:
        ++normal;
        CHECK((order.user >= 1 && order.user <= 3));
        CHECK((order.items.size() >= 1 && order.items.size() <= 3));
        CHECK_FALSE(products.count(99));
        break;
    }
  }
  CHECK(oos + unknown == Approx(1000).margin(100));
  CHECK(std::abs(oos - unknown) <= 1);
  CHECK(OrderMix::Body({Kind::kNormal, 7, {{1, 2}, {3, 1}}, {}}) ==
        R"({"userId":7,"items":[{"productId":1,"quantity":2},{"productId":3,"quantity":1}]})");
  o.unknown_user = 2;  // a real user cannot be the unknown one
  CHECK_THROWS_AS(OrderMix(o, 1), std::invalid_argument);
  o.unknown_user = 0;
  CHECK_THROWS_AS(OrderMix(o, 1), std::invalid_argument);
}

TEST_CASE("Coupon orders come as twins of one user and coupon, at the asked share", "[loadgen]") {
  MixOptions o;
  o.users = {1, 2, 3};
  o.products = {10, 11};
  o.coupon_share = 0.2;
  o.coupon_id = "SPRING";
  OrderMix mix(o, 7);
  std::vector<Order> orders;
  for (int i = 0; i < 10000; ++i) orders.push_back(mix.Next());
  int coupon = 0;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    if (orders[i].kind != Kind::kCoupon) {
      CHECK(orders[i].coupon_id.empty());
      continue;
    }
    ++coupon;
    CHECK(orders[i].coupon_id == "SPRING");
    if (coupon % 2 == 0) {  // the second of a pair: the first one again
      CHECK(orders[i].user == orders[i - 1].user);
      CHECK(orders[i].items == orders[i - 1].items);
    }
  }
  CHECK(coupon == Approx(2000).margin(200));
  Order twin{Kind::kCoupon, 7, {{1, 1}}, "SPRING"};
  CHECK(OrderMix::Body(twin) == R"({"userId":7,"items":[{"productId":1,"quantity":1}],"couponId":"SPRING"})");
  o.coupon_id.clear();
  CHECK_THROWS_AS(OrderMix(o, 1), std::invalid_argument);
}

TEST_CASE("Percentiles are nearest-rank", "[loadgen]") {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const auto p = Summarize(v);
  CHECK(p.p50 == 50);
  CHECK(p.p95 == 95);
  CHECK(p.p99 == 99);
  CHECK(p.max == 100);
  std::vector<double> none;
  CHECK(Summarize(none).max == 0);
}
