#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace saga::http {

using RawRequest = boost::beast::http::request<boost::beast::http::string_body>;
using PathParams = std::map<std::string, std::string, std::less<>>;

/// A failure the client caused or should see; the server turns it into
/// `{"error":{"code","message","field"}}` with this status. Anything else becomes a logged 500.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string code, std::string message, std::string field = {});
  int Status() const { return status_; }
  const std::string& Code() const { return code_; }
  const std::string& Field() const { return field_; }

 private:
  int status_;
  std::string code_;
  std::string field_;
};

/// 400 VALIDATION_FAILED naming the offending field.
HttpError ValidationFailed(std::string field, std::string message);

/// An Idempotency-Key header value must be 1..128 printable ASCII characters without spaces;
/// otherwise 400 VALIDATION_FAILED naming it. The same rule for every route that takes one.
void CheckIdempotencyKey(std::string_view key);

/// Whether `given` equals the non-empty `secret`, in time that depends only on their lengths
/// (not on where they first differ), so that a token cannot be guessed byte by byte.
bool SecretMatches(std::string_view given, std::string_view secret);

/// What a handler sees: the request plus route parameters and the trace context.
class Request {
 public:
  Request(const RawRequest& raw, PathParams params, std::string traceparent);

  std::optional<std::string> Header(std::string_view name) const;
  std::optional<std::string> Query(std::string_view name) const;
  const std::string& Param(std::string_view name) const;
  /// The Idempotency-Key header, checked (CheckIdempotencyKey), if there is one.
  std::optional<std::string> IdempotencyKey() const;
  const std::string& Body() const { return raw_.body(); }
  /// The W3C traceparent for this request (continued from the client's, or new).
  const std::string& Traceparent() const { return traceparent_; }
  /// The body as JSON: 415 unless Content-Type is application/json, 400 INVALID_JSON if unparsable.
  nlohmann::json Json() const;

 private:
  const RawRequest& raw_;
  PathParams params_;
  std::string traceparent_;
};

/// Throws 401 UNAUTHORIZED unless the request's X-Admin-Token header matches `admin_token`
/// (SecretMatches: an empty token turns the admin routes off).
void RequireAdmin(const Request& req, std::string_view admin_token);

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, const nlohmann::json& body);
  static Response Error(int status, const std::string& code, const std::string& message,
                        const std::string& field = {});
};

}  // namespace saga::http
