#include "saga/payment/http_api.hpp"

#include <charconv>

#include "coupon_store.hpp"
#include "payment_store.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/error.hpp"
#include "saga/payment/balance.hpp"
#include "saga/payment/coupon_rules.hpp"
#include "saga/runtime/db_http.hpp"

namespace saga::payment {
namespace {

std::int64_t UserIdParam(const http::Request& req) {
  const auto& raw = req.Param("userId");
  std::int64_t id = 0;
  const auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (ec != std::errc() || p != raw.data() + raw.size() || id <= 0) {
    throw http::ValidationFailed("userId", "userId must be a positive integer");
  }
  return id;
}

// POST /users/{userId}/balance/charge {"amount": N}, with an optional Idempotency-Key.
http::Response PostCharge(db::Pool& pool, const http::Request& req) {
  const auto user_id = UserIdParam(req);
  const auto body = req.Json();
  const auto it = body.is_object() ? body.find("amount") : body.end();
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0 ||
      it->get<std::int64_t>() > 1'000'000'000'000LL) {
    throw http::ValidationFailed("amount", "amount must be an integer from 1 to 1000000000000");
  }
  const auto amount = it->get<std::int64_t>();
  const auto key = req.IdempotencyKey();
  for (int attempt = 1;; ++attempt) {
    try {
      const auto c = runtime::Transact(
          pool, [&](db::Transaction& tx) { return Charge(tx, user_id, amount, key); });
      auto res = http::Response::Json(200, {{"userId", c.user_id},
                                            {"previousBalance", c.previous_balance},
                                            {"chargedAmount", c.charged_amount},
                                            {"currentBalance", c.current_balance}});
      if (c.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
      return res;
    } catch (const ChargeKeyConflict& e) {
      throw http::HttpError(422, "IDEMPOTENCY_KEY_REUSED", e.what(), "Idempotency-Key");
    } catch (const BalanceOutOfRange& e) {
      throw http::HttpError(422, "BALANCE_OUT_OF_RANGE", e.what(), "amount");
    } catch (const db::Error& e) {
      // Lost the race for this key to a concurrent request: our credit was rolled back; the
      // next attempt finds the winner's answer and replays it.
      if (!e.IsDuplicateKey() || attempt >= 2) throw;
    }
  }
}

// GET /users/{userId}/balance
http::Response GetBalance(db::Pool& pool, const http::Request& req) {
  const auto user_id = UserIdParam(req);
  const auto balance =
      runtime::Transact(pool, [&](db::Transaction& tx) { return Balance(tx, user_id); });
  if (!balance) {
    throw http::HttpError(404, "USER_NOT_FOUND", "no account for user " + std::to_string(user_id),
                          "userId");
  }
  return http::Response::Json(200, {{"userId", user_id}, {"balance", *balance}});
}

// GET /payments/{orderId}
http::Response GetPayment(db::Pool& pool, const http::Request& req) {
  const auto& order_id = req.Param("orderId");
  const auto payment =
      runtime::Transact(pool, [&](db::Transaction& tx) { return store::GetPayment(tx, order_id); });
  if (!payment)
    throw http::HttpError(404, "PAYMENT_NOT_FOUND", "no payment for order " + order_id, "orderId");
  const auto& row = payment->row;
  return http::Response::Json(200, {{"orderId", row.order_id},
                                    {"paymentId", row.payment_id},
                                    {"userId", row.user_id},
                                    {"amount", row.amount},
                                    {"status", payment->status},
                                    {"reason", contracts::OrNull(row.reason)},
                                    {"discount", row.discount},
                                    {"couponId", contracts::OrNull(row.coupon_id)},
                                    {"createdAt", payment->created_at}});
}

std::string CouponIdParam(const http::Request& req) {
  const auto& id = req.Param("couponId");
  if (!IsCouponId(id)) {
    throw http::ValidationFailed("couponId", "couponId must be 1 to 64 of the characters A-Z a-z 0-9 . _ -");
  }
  return id;
}

nlohmann::json CampaignJson(const store::StoredCampaign& s) {
  const auto& c = s.campaign;
  return {{"couponId", c.coupon_id},
          {"name", c.name},
          {"discountType", ToString(c.discount_type)},
          {"discountValue", c.discount_value},
          {"maxDiscount", c.max_discount ? nlohmann::json(*c.max_discount) : nlohmann::json(nullptr)},
          {"quantity", c.quantity},
          {"issued", s.issued},
          {"remaining", c.quantity - s.issued},
          {"validFrom", contracts::OrNull(c.valid_from)},
          {"validUntil", contracts::OrNull(c.valid_until)}};
}

http::HttpError NoCampaign(const std::string& coupon_id) {
  return http::HttpError(404, "COUPON_NOT_FOUND", "no coupon campaign " + coupon_id, "couponId");
}

// PUT /coupons/{couponId} with X-Admin-Token: creates the campaign (201) or replaces its terms (200).
http::Response PutCoupon(db::Pool& pool, const std::string& admin_token, const http::Request& req) {
  if (!http::SecretMatches(req.Header("X-Admin-Token").value_or(""), admin_token)) {
    throw http::HttpError(401, "UNAUTHORIZED", "a valid X-Admin-Token header is required");
  }
  Campaign campaign;
  try {
    campaign = ParseCampaign(CouponIdParam(req), req.Json());
  } catch (const CouponInvalid& e) {
    throw http::ValidationFailed(e.Field(), e.what());
  }
  for (int attempt = 1;; ++attempt) {
    try {
      return runtime::Transact(pool, [&](db::Transaction& tx) {
        const bool created = store::PutCampaign(tx, campaign);
        return http::Response::Json(created ? 201 : 200, CampaignJson(*store::GetCampaign(tx, campaign.coupon_id)));
      });
    } catch (const store::QuantityBelowIssued& e) {
      throw http::HttpError(409, "COUPON_QUANTITY_BELOW_ISSUED", e.what(), "quantity");
    } catch (const db::Error& e) {
      // Two creations of one campaign at once: the loser's next attempt updates the winner's row.
      if (!e.IsDuplicateKey() || attempt >= 2) throw;
    }
  }
}

// GET /coupons/{couponId}
http::Response GetCoupon(db::Pool& pool, const http::Request& req) {
  const auto id = CouponIdParam(req);
  const auto stored = runtime::Transact(pool, [&](db::Transaction& tx) { return store::GetCampaign(tx, id); });
  if (!stored) throw NoCampaign(id);
  return http::Response::Json(200, CampaignJson(*stored));
}

// POST /coupons/{couponId}/issue {"userId": N}: first come, first served, one per user.
http::Response IssueCoupon(db::Pool& pool, const http::Request& req) {
  const auto id = CouponIdParam(req);
  const auto body = req.Json();
  const auto it = body.is_object() ? body.find("userId") : body.end();
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0) {
    throw http::ValidationFailed("userId", "userId must be a positive integer");
  }
  const auto user_id = it->get<std::int64_t>();
  try {
    const auto issued = runtime::Transact(pool, [&](db::Transaction& tx) { return store::Issue(tx, id, user_id); });
    return http::Response::Json(
        201, {{"couponId", id}, {"userId", user_id}, {"issuedAt", issued.issued_at}, {"remaining", issued.remaining}});
  } catch (const store::IssueRefused& e) {
    throw http::HttpError(e.Code() == "COUPON_NOT_FOUND" ? 404 : 409, e.Code(), e.what(), "couponId");
  }
}

// GET /users/{userId}/coupons
http::Response GetUserCoupons(db::Pool& pool, const http::Request& req) {
  const auto user_id = UserIdParam(req);
  const auto coupons = runtime::Transact(pool, [&](db::Transaction& tx) { return store::UserCoupons(tx, user_id); });
  auto list = nlohmann::json::array();
  for (const auto& c : coupons) {
    auto j = CampaignJson(c.campaign);
    for (const char* key : {"quantity", "issued", "remaining"}) j.erase(key);
    j["issuedAt"] = c.issued_at;
    j["usedByOrderId"] = contracts::OrNull(c.used_by_order_id);
    j["usedAt"] = contracts::OrNull(c.used_at);
    list.push_back(std::move(j));
  }
  return http::Response::Json(200, {{"userId", user_id}, {"coupons", std::move(list)}});
}

}  // namespace

http::Router MakeRouter(db::Pool& pool, std::string admin_token) {
  http::Router r;
  r.Add("POST", "/users/{userId}/balance/charge",
        [&pool](const http::Request& req) { return PostCharge(pool, req); });
  r.Add("GET", "/users/{userId}/balance",
        [&pool](const http::Request& req) { return GetBalance(pool, req); });
  r.Add("GET", "/payments/{orderId}",
        [&pool](const http::Request& req) { return GetPayment(pool, req); });
  r.Add("PUT", "/coupons/{couponId}",
        [&pool, admin_token](const http::Request& req) { return PutCoupon(pool, admin_token, req); });
  r.Add("GET", "/coupons/{couponId}", [&pool](const http::Request& req) { return GetCoupon(pool, req); });
  r.Add("POST", "/coupons/{couponId}/issue", [&pool](const http::Request& req) { return IssueCoupon(pool, req); });
  r.Add("GET", "/users/{userId}/coupons", [&pool](const http::Request& req) { return GetUserCoupons(pool, req); });
  return r;
}

}  // namespace saga::payment
