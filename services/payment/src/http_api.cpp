#include "saga/payment/http_api.hpp"

#include <charconv>

#include "coupon_store.hpp"
#include "payment_store.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/error.hpp"
#include "saga/db/group_commit.hpp"
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

// Group commit of the two hot writes, charge and issue (docs/adr/0008): each request is checked
// on the I/O thread and answered from the writer thread once its batch committed.
constexpr std::size_t kMaxBatch = 64;
constexpr int kWriters = 2;
using ChargeWriter = db::GroupCommit<ChargeRequest, ChargeOutcome>;
using IssueWriter = db::GroupCommit<store::IssueRequest, store::IssueOutcome>;

// A failed batch's error as the answer a synchronous handler would give.
template <typename F>
http::Response Answer(std::exception_ptr error, F&& make) {
  return runtime::WithDatabase([&] {
    if (error) std::rethrow_exception(error);
    return make();
  });
}

// POST /users/{userId}/balance/charge {"amount": N}, with an optional Idempotency-Key.
void PostCharge(const std::shared_ptr<ChargeWriter>& writer, const http::Request& req, http::Reply reply) {
  ChargeRequest request{UserIdParam(req), 0, req.IdempotencyKey()};
  const auto body = req.Json();
  const auto it = body.is_object() ? body.find("amount") : body.end();
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0 ||
      it->get<std::int64_t>() > 1'000'000'000'000LL) {
    throw http::ValidationFailed("amount", "amount must be an integer from 1 to 1000000000000");
  }
  request.amount = it->get<std::int64_t>();
  const auto submit = [writer, reply](ChargeRequest request, int attempt, const auto& self) -> void {
    writer->Submit(request, [writer, reply, request, attempt, self](std::optional<ChargeOutcome> outcome,
                                                                   std::exception_ptr error) {
      if (error && attempt < 2) {
        try {
          std::rethrow_exception(error);
        } catch (const db::Error& e) {
          // Lost the race for this key to a concurrent batch: ours rolled back; the next attempt
          // finds the winner's answer and replays it.
          if (e.IsDuplicateKey()) return self(request, attempt + 1, self);
        } catch (...) {
        }
      }
      reply.Answer([&] {
        return Answer(error, [&] {
          if (outcome->refusal == "IDEMPOTENCY_KEY_REUSED") {
            throw http::HttpError(422, outcome->refusal, outcome->message, "Idempotency-Key");
          }
          if (!outcome->refusal.empty()) throw http::HttpError(422, outcome->refusal, outcome->message, "amount");
          const auto& c = outcome->result;
          auto res = http::Response::Json(200, {{"userId", c.user_id},
                                                {"previousBalance", c.previous_balance},
                                                {"chargedAmount", c.charged_amount},
                                                {"currentBalance", c.current_balance}});
          if (c.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
          return res;
        });
      });
    });
  };
  submit(std::move(request), 1, submit);
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
  http::RequireAdmin(req, admin_token);
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
void IssueCoupon(const std::shared_ptr<IssueWriter>& writer, const http::Request& req, http::Reply reply) {
  auto id = CouponIdParam(req);
  const auto body = req.Json();
  const auto it = body.is_object() ? body.find("userId") : body.end();
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() <= 0) {
    throw http::ValidationFailed("userId", "userId must be a positive integer");
  }
  const auto user_id = it->get<std::int64_t>();
  writer->Submit({id, user_id}, [reply, id, user_id](std::optional<store::IssueOutcome> outcome,
                                                    std::exception_ptr error) {
    reply.Answer([&] {
      return Answer(error, [&] {
        const auto& o = *outcome;
        if (!o.refusal.empty()) {
          throw http::HttpError(o.refusal == "COUPON_NOT_FOUND" ? 404 : 409, o.refusal, o.message, "couponId");
        }
        return http::Response::Json(201, {{"couponId", id},
                                          {"userId", user_id},
                                          {"issuedAt", o.issued_at},
                                          {"remaining", o.remaining}});
      });
    });
  });
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
  auto charges = std::make_shared<ChargeWriter>(
      pool, [](db::Transaction& tx, const std::vector<const ChargeRequest*>& batch) { return ChargeMany(tx, batch); },
      ChargeWriter::Options{.max_batch = kMaxBatch,
                            .writers = kWriters,
                            .key = [](const ChargeRequest& c) { return c.idempotency_key; }});
  auto issues = std::make_shared<IssueWriter>(
      pool,
      [](db::Transaction& tx, const std::vector<const store::IssueRequest*>& batch) {
        return store::IssueMany(tx, batch);
      },
      IssueWriter::Options{.max_batch = kMaxBatch, .writers = kWriters});
  r.AddAsync("POST", "/users/{userId}/balance/charge",
             [charges](const http::Request& req, http::Reply reply) { PostCharge(charges, req, std::move(reply)); });
  r.Add("GET", "/users/{userId}/balance",
        [&pool](const http::Request& req) { return GetBalance(pool, req); });
  r.Add("GET", "/payments/{orderId}",
        [&pool](const http::Request& req) { return GetPayment(pool, req); });
  r.Add("PUT", "/coupons/{couponId}",
        [&pool, admin_token](const http::Request& req) { return PutCoupon(pool, admin_token, req); });
  r.Add("GET", "/coupons/{couponId}", [&pool](const http::Request& req) { return GetCoupon(pool, req); });
  r.AddAsync("POST", "/coupons/{couponId}/issue",
             [issues](const http::Request& req, http::Reply reply) { IssueCoupon(issues, req, std::move(reply)); });
  r.Add("GET", "/users/{userId}/coupons", [&pool](const http::Request& req) { return GetUserCoupons(pool, req); });
  return r;
}

}  // namespace saga::payment
