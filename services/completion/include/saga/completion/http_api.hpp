#pragma once

#include "saga/db/pool.hpp"
#include "saga/http/router.hpp"

namespace saga::completion {

/// GET /sagas/{orderId} (404 until its first event arrived) and GET /sagas/stats.
http::Router MakeRouter(db::Pool& pool);

}  // namespace saga::completion
