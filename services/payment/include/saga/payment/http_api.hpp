#pragma once

#include <string>

#include "saga/db/pool.hpp"
#include "saga/http/router.hpp"

namespace saga::payment {

/// POST /users/{userId}/balance/charge, GET /users/{userId}/balance, GET /payments/{orderId};
/// coupons: PUT and GET /coupons/{couponId} (PUT with X-Admin-Token), POST
/// /coupons/{couponId}/issue, GET /users/{userId}/coupons.
http::Router MakeRouter(db::Pool& pool, std::string admin_token);

}  // namespace saga::payment
