#include "saga/payment/http_api.hpp"

#include <charconv>

#include "payment_store.hpp"
#include "saga/contracts/json.hpp"
#include "saga/db/error.hpp"
#include "saga/payment/balance.hpp"
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
                                    {"createdAt", payment->created_at}});
}

}  // namespace

http::Router MakeRouter(db::Pool& pool) {
  http::Router r;
  r.Add("POST", "/users/{userId}/balance/charge",
        [&pool](const http::Request& req) { return PostCharge(pool, req); });
  r.Add("GET", "/users/{userId}/balance",
        [&pool](const http::Request& req) { return GetBalance(pool, req); });
  r.Add("GET", "/payments/{orderId}",
        [&pool](const http::Request& req) { return GetPayment(pool, req); });
  return r;
}

}  // namespace saga::payment
