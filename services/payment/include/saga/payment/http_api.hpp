#pragma once

#include "saga/db/pool.hpp"
#include "saga/http/router.hpp"

namespace saga::payment {

/// POST /users/{userId}/balance/charge, GET /users/{userId}/balance, GET /payments/{orderId}.
http::Router MakeRouter(db::Pool& pool);

}  // namespace saga::payment
