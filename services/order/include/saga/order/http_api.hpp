#pragma once

#include "saga/http/router.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/order/admission.hpp"
#include "saga/order/order_service.hpp"

#include <memory>

namespace saga::order {

/// POST /orders and GET /orders/{orderId}: parse, call the OrderService, serialise. With
/// `admission`, POST /orders answers 429 OVERLOADED (Retry-After: 1, nothing placed) while it
/// refuses.
http::Router MakeRouter(OrderService service, metrics::Registry& registry,
                        std::shared_ptr<const Admission> admission = nullptr);

nlohmann::json ToJson(const OrderView& v);

}  // namespace saga::order
