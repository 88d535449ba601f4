#include "saga/http/message.hpp"

#include <boost/beast/http/field.hpp>

#include "saga/contracts/json.hpp"

namespace saga::http {

HttpError::HttpError(int status, std::string code, std::string message, std::string field)
    : std::runtime_error(std::move(message)),
      status_(status),
      code_(std::move(code)),
      field_(std::move(field)) {}

HttpError ValidationFailed(std::string field, std::string message) {
  return HttpError(400, "VALIDATION_FAILED", std::move(message), std::move(field));
}

void CheckIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 128) {
    throw ValidationFailed("Idempotency-Key", "Idempotency-Key must be 1 to 128 characters");
  }
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) {
      throw ValidationFailed("Idempotency-Key", "Idempotency-Key must be printable ASCII without spaces");
    }
  }
}

bool SecretMatches(std::string_view given, std::string_view secret) {
  if (secret.empty()) return false;
  // Every byte of `given` is compared (against the secret, cycled), whatever it holds.
  volatile unsigned char diff = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff = diff | static_cast<unsigned char>(given[i] ^ secret[i % secret.size()]);
  }
  return diff == 0;
}

void RequireAdmin(const Request& req, std::string_view admin_token) {
  if (!SecretMatches(req.Header("X-Admin-Token").value_or(""), admin_token)) {
    throw HttpError(401, "UNAUTHORIZED", "a valid X-Admin-Token header is required");
  }
}

std::optional<std::string> Request::IdempotencyKey() const {
  if (raw_.count("Idempotency-Key") > 1) {
    throw ValidationFailed("Idempotency-Key", "Idempotency-Key must be sent at most once");
  }
  auto key = Header("Idempotency-Key");
  if (key) CheckIdempotencyKey(*key);
  return key;
}

Request::Request(const RawRequest& raw, PathParams params, std::string traceparent)
    : raw_(raw), params_(std::move(params)), traceparent_(std::move(traceparent)) {}


std::optional<std::string> Request::Header(std::string_view name) const {
  const auto it = raw_.find(boost::beast::string_view(name.data(), name.size()));
  if (it == raw_.end()) return std::nullopt;
  return std::string(it->value());
}

std::optional<std::string> Request::Query(std::string_view name) const {
  const auto t = raw_.target();
  const std::string_view target(t.data(), t.size());
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

const std::string& Request::Param(std::string_view name) const {
  const auto it = params_.find(name);
  if (it == params_.end()) throw std::logic_error("route has no parameter " + std::string(name));
  return it->second;
}

nlohmann::json Request::Json() const {
  const auto ct = Header("Content-Type").value_or("");
  std::string media = ct.substr(0, ct.find(';'));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (media != "application/json") {
    throw HttpError(415, "UNSUPPORTED_MEDIA_TYPE",
                    "Content-Type must be application/json, got '" + ct + "'");
  }
  contracts::JsonProblem problem;
  auto j = contracts::ParseStrict(raw_.body(), problem);
  if (j.is_null()) throw HttpError(400, "INVALID_JSON", "request body: " + problem.message);
  return j;
}

Response Response::Json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::Error(int status, const std::string& code, const std::string& message,
                         const std::string& field) {
  nlohmann::json err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  return Json(status, nlohmann::json{{"error", err}});
}

}  // namespace saga::http
