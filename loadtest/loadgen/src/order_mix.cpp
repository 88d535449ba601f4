#include "saga/loadgen/order_mix.hpp"

#include <algorithm>
#include <stdexcept>

namespace saga::loadgen {

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kNormal:
      return "normal";
    case Kind::kOutOfStock:
      return "out_of_stock";
    case Kind::kUnknownUser:
      return "unknown_user";
    case Kind::kCoupon:
      return "coupon";
  }
  return "?";
}

OrderMix::OrderMix(MixOptions options, std::uint64_t seed) : options_(std::move(options)), rng_(seed) {
  if (options_.users.empty() || options_.products.empty()) {
    throw std::invalid_argument("orders need at least one user and one product");
  }
  if (options_.max_items < 1 || options_.max_quantity < 1) {
    throw std::invalid_argument("max items and max quantity are at least 1");
  }
  options_.max_items = std::min<int>(options_.max_items, static_cast<int>(options_.products.size()));
  if (options_.fail_share < 0 || options_.fail_share > 1) {
    throw std::invalid_argument("the share of failing orders is between 0 and 1");
  }
  if (options_.fail_share > 0 && (options_.out_of_stock_product <= 0 || options_.unknown_user <= 0)) {
    throw std::invalid_argument("failing orders need an out-of-stock product and an unknown user");
  }
  if (options_.coupon_share < 0 || options_.coupon_share + options_.fail_share > 1) {
    throw std::invalid_argument("the shares of coupon and failing orders are between 0 and 1 together");
  }
  if (options_.coupon_share > 0 && options_.coupon_id.empty()) {
    throw std::invalid_argument("coupon orders need a coupon id");
  }
  const auto& u = options_.users;
  const auto& p = options_.products;
  if (std::find(u.begin(), u.end(), options_.unknown_user) != u.end() ||
      std::find(p.begin(), p.end(), options_.out_of_stock_product) != p.end()) {
    throw std::invalid_argument("the unknown user and the out-of-stock product must not be among the normal ones");
  }
}

Order OrderMix::Next() {
  auto pick = [&](const std::vector<std::int64_t>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng_)];
  };
  if (twin_) {
    auto twin = std::move(*twin_);
    twin_.reset();
    return twin;
  }
  Order o;
  o.user = pick(options_.users);
  const auto draw = std::uniform_real_distribution<double>(0, 1)(rng_);
  if (options_.fail_share > 0 && draw < options_.fail_share) {
    o.kind = (failures_++ % 2 == 0) ? Kind::kOutOfStock : Kind::kUnknownUser;
  } else if (options_.coupon_share > 0 &&
             draw < options_.fail_share + options_.coupon_share / (2 - options_.coupon_share)) {
    // A draw of probability p gives a pair, so coupon orders are 2p / (1 + p) of all: coupon_share.
    o.kind = Kind::kCoupon;
    o.coupon_id = options_.coupon_id;
  }
  if (o.kind == Kind::kOutOfStock) {
    o.items.emplace_back(options_.out_of_stock_product, 1);
    return o;
  }
  if (o.kind == Kind::kUnknownUser) o.user = options_.unknown_user;
  const int n = std::uniform_int_distribution<int>(1, options_.max_items)(rng_);
  while (static_cast<int>(o.items.size()) < n) {
    const auto product = pick(options_.products);
    if (std::any_of(o.items.begin(), o.items.end(), [&](const auto& it) { return it.first == product; })) continue;
    o.items.emplace_back(product, std::uniform_int_distribution<int>(1, options_.max_quantity)(rng_));
  }
  if (o.kind == Kind::kCoupon) twin_ = o;
  return o;
}

std::string OrderMix::Body(const Order& order) {
  std::string body = "{\"userId\":" + std::to_string(order.user) + ",\"items\":[";
  for (std::size_t i = 0; i < order.items.size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"productId\":" + std::to_string(order.items[i].first) +
            ",\"quantity\":" + std::to_string(order.items[i].second) + "}";
  }
  body += "]";
  if (!order.coupon_id.empty()) body += ",\"couponId\":\"" + order.coupon_id + "\"";
  body += "}";
  return body;
}

}  // namespace saga::loadgen
