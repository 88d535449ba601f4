#include "saga/order/http_api.hpp"
#include "saga/contracts/json.hpp"

#include "saga/contracts/ids.hpp"
#include "saga/db/error.hpp"
#include "saga/runtime/db_http.hpp"
#include "saga/log/log.hpp"

namespace saga::order {
namespace {

// The order service's translation of domain and database errors into HTTP errors.
template <typename F>
auto AsHttpErrors(F&& f) -> decltype(f()) {
  try {
    return runtime::WithDatabase(f);
  } catch (const ValidationError& e) {
    throw http::ValidationFailed(e.Field(), e.what());
  } catch (const IdempotencyConflict& e) {
    throw http::HttpError(422, "IDEMPOTENCY_KEY_REUSED", e.what(), "Idempotency-Key");
  }
}

}  // namespace

nlohmann::json ToJson(const OrderView& v) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : v.items) items.push_back(i);
  return {{"orderId", v.order_id},
          {"userId", v.user_id.value},
          {"status", v.status},
          {"reason", contracts::OrNull(v.reason)},
          {"couponId", contracts::OrNull(v.coupon_id)},
          {"amount", contracts::OrNull(v.amount)},
          {"discount", contracts::OrNull(v.discount)},
          {"items", items},
          {"createdAt", v.created_at},
          {"updatedAt", v.updated_at}};
}

http::Router MakeRouter(OrderService service, metrics::Registry& registry,
                        std::shared_ptr<const Admission> admission) {
  auto& placed = prometheus::BuildCounter()
                     .Name("orders_placed_total")
                     .Help("POST /orders outcomes: created, replayed (same Idempotency-Key) or overloaded (429)")
                     .Register(registry.Raw());
  auto& created = placed.Add({{"result", "created"}});
  auto& replayed = placed.Add({{"result", "replayed"}});
  auto& overloaded = placed.Add({{"result", "overloaded"}});

  http::Router router;
  // Asynchronous: the request is read and checked on the I/O thread and queued for the next group
  // commit; the answer goes out when that commits. No thread waits for it meanwhile.
  router.AddAsync("POST", "/orders", [service, admission, &created, &replayed, &overloaded](
                                         const http::Request& req, http::Reply reply) mutable {
    // docs/adr/0016: refused before anything is written, so the same Idempotency-Key may retry.
    if (const auto why = admission ? admission->Refusal(service.Queued()) : std::nullopt) {
      overloaded.Increment();
      auto res = http::Response::Error(429, "OVERLOADED", "not now, retry later: " + *why);
      res.headers.emplace_back("Retry-After", "1");
      reply(std::move(res));
      return;
    }
    NewOrder order = AsHttpErrors([&] {
      const auto body = req.Json();
      auto cmd = ParsePlaceOrder(body);
      return NewOrder{std::move(cmd), req.IdempotencyKey(), req.Traceparent()};
    });
    service.Submit(std::move(order), [reply, &created, &replayed, traceparent = req.Traceparent()](
                                         std::optional<PlaceOutcome> outcome, std::exception_ptr error) {
      reply.Answer([&] {
        return AsHttpErrors([&] {
          if (error) std::rethrow_exception(error);
          if (auto* conflict = std::get_if<IdempotencyConflict>(&*outcome)) throw *conflict;
          const auto& result = std::get<PlaceOrderResult>(*outcome);
          (result.replayed ? replayed : created).Increment();
          log::Debug(result.replayed ? "order replayed" : "order placed",
                     {{"orderId", result.order_id}, {"traceparent", traceparent}});
          auto res = http::Response::Json(202, {{"orderId", result.order_id},
                                               {"status", "PENDING"},
                                               {"sagaUrl", "/sagas/" + result.order_id}});
          res.headers.emplace_back("Location", "/orders/" + result.order_id);
          if (result.replayed) res.headers.emplace_back("Idempotent-Replayed", "true");
          return res;
        });
      });
    });
  });
  router.Add("GET", "/orders/{orderId}", [service](const http::Request& req) mutable {
    return AsHttpErrors([&] {
      const auto& id = req.Param("orderId");
      std::optional<OrderView> view;
      if (contracts::IsUuid(id)) view = service.Get(id);
      if (!view) throw http::HttpError(404, "ORDER_NOT_FOUND", "no order " + id, "orderId");
      return http::Response::Json(200, ToJson(*view));
    });
  });
  return router;
}

}  // namespace saga::order
