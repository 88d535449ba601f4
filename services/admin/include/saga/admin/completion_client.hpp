#pragma once

// What the completion service says about a saga (GET /sagas/{orderId}), for saga-admin's note
// that redriving an event of a saga already final changes nothing.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace saga::admin {

/// http://HOST[:PORT][/PATH] (no TLS); the path is a prefix of the routes.
struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string base_path;  ///< without a trailing slash; empty for none
};
/// Throws std::invalid_argument for anything else.
HttpUrl ParseHttpUrl(std::string_view url);

/// `text` with every byte but RFC 3986's unreserved ones percent-encoded: one path segment.
std::string PercentEncode(std::string_view text);

struct SagaState {
  bool found = false;  ///< false: completion has seen no event of that order yet (404)
  std::string status;  ///< PENDING, COMPLETED or CANCELLED
  std::optional<std::string> reason;

  bool IsFinal() const { return status == "COMPLETED" || status == "CANCELLED"; }
};

/// The saga from an answer to GET /sagas/{orderId}: 200 with {status, reason}, or 404 (not
/// found). Throws std::runtime_error for any other answer.
SagaState ParseSagaAnswer(int http_status, std::string_view body);

/// "saga <id> is already CANCELLED (TIMED_OUT): redriving changes nothing" (no reason: no
/// parentheses).
std::string FinalSagaNote(std::string_view order_id, const SagaState& saga);

/// GET <url>/sagas/{orderId} over one plain HTTP/1.1 connection. Throws std::runtime_error when
/// there is no answer within `timeout` or an unexpected one.
SagaState GetSaga(const HttpUrl& url, std::string_view order_id, std::chrono::milliseconds timeout);

}  // namespace saga::admin
