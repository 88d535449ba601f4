#pragma once

#include <string>

#include "saga/db/pool.hpp"
#include "saga/http/router.hpp"

namespace saga::stock {

/// GET /products, GET /products/{id}, PUT /products/{id}/stock (X-Admin-Token),
/// GET /products/top?days=3&limit=5.
http::Router MakeRouter(db::Pool& pool, std::string admin_token);

}  // namespace saga::stock
