#include "saga/stock/http_api.hpp"

#include <charconv>

#include "saga/db/error.hpp"
#include "saga/runtime/db_http.hpp"
#include "stock_store.hpp"

namespace saga::stock {
namespace {

nlohmann::json ProductJson(const store::ProductRow& p) {
  return {{"id", p.id}, {"name", p.name}, {"price", p.price}, {"stock", p.stock}};
}

http::HttpError NoProduct(std::int64_t id) {
  return http::HttpError(404, "PRODUCT_NOT_FOUND", "no product " + std::to_string(id), "id");
}

std::int64_t PathId(const http::Request& req) {
  const auto& raw = req.Param("id");
  std::int64_t id = 0;
  const auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), id);
  if (ec != std::errc() || p != raw.data() + raw.size() || id <= 0) {
    throw http::HttpError(404, "PRODUCT_NOT_FOUND", "no product " + raw, "id");
  }
  return id;
}

int QueryInt(const http::Request& req, const char* name, int fallback, int min, int max) {
  const auto raw = req.Query(name);
  if (!raw) return fallback;
  int v = 0;
  const auto [p, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || p != raw->data() + raw->size() || v < min || v > max) {
    throw http::ValidationFailed(name, std::string(name) + " must be an integer from " +
                                           std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

// GET /products
http::Response ListProducts(db::Pool& pool) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& p : runtime::Transact(pool, [](db::Transaction& tx) { return store::ListProducts(tx); })) {
    items.push_back(ProductJson(p));
  }
  return http::Response::Json(200, {{"items", items}});
}

// GET /products/top?days=3&limit=5
http::Response TopProducts(db::Pool& pool, const http::Request& req) {
  const int days = QueryInt(req, "days", 3, 1, 365);
  const int limit = QueryInt(req, "limit", 5, 1, 100);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& t :
       runtime::Transact(pool, [&](db::Transaction& tx) { return store::TopProducts(tx, days, limit); })) {
    items.push_back({{"productId", t.product_id}, {"name", t.name}, {"quantity", t.quantity}});
  }
  return http::Response::Json(200, {{"days", days}, {"limit", limit}, {"items", items}});
}

// GET /products/{id}
http::Response GetProduct(db::Pool& pool, const http::Request& req) {
  const auto id = PathId(req);
  const auto product = runtime::Transact(pool, [&](db::Transaction& tx) { return store::GetProduct(tx, id); });
  if (!product) throw NoProduct(id);
  return http::Response::Json(200, ProductJson(*product));
}

// PUT /products/{id}/stock {"stock": N} with X-Admin-Token: refill for load tests.
http::Response PutStock(db::Pool& pool, const std::string& admin_token, const http::Request& req) {
  http::RequireAdmin(req, admin_token);
  const auto id = PathId(req);
  const auto body = req.Json();
  const auto it = body.is_object() ? body.find("stock") : body.end();
  if (!body.is_object() || it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0 ||
      it->get<std::int64_t>() > 1'000'000'000) {
    throw http::ValidationFailed("stock", "stock must be an integer from 0 to 1000000000");
  }
  const auto stock = it->get<std::int64_t>();
  return runtime::Transact(pool, [&](db::Transaction& tx) {
    store::SetStock(tx, id, stock);
    const auto product = store::GetProduct(tx, id);
    if (!product) throw NoProduct(id);  // rolls the update back
    return http::Response::Json(200, ProductJson(*product));
  });
}

}  // namespace

http::Router MakeRouter(db::Pool& pool, std::string admin_token) {
  http::Router r;
  r.Add("GET", "/products", [&pool](const http::Request&) { return ListProducts(pool); });
  r.Add("GET", "/products/top", [&pool](const http::Request& req) { return TopProducts(pool, req); });
  r.Add("GET", "/products/{id}", [&pool](const http::Request& req) { return GetProduct(pool, req); });
  r.Add("PUT", "/products/{id}/stock",
        [&pool, admin_token](const http::Request& req) { return PutStock(pool, admin_token, req); });
  return r;
}

}  // namespace saga::stock
