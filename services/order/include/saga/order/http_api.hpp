#pragma once

#include "saga/http/router.hpp"
#include "saga/metrics/metrics.hpp"
#include "saga/order/order_service.hpp"

namespace saga::order {

/// POST /orders and GET /orders/{orderId}: parse, call the OrderService, serialise.
http::Router MakeRouter(OrderService service, metrics::Registry& registry);

nlohmann::json ToJson(const OrderView& v);

}  // namespace saga::order
