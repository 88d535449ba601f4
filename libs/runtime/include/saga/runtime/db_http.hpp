#pragma once

#include "saga/db/error.hpp"
#include "saga/http/message.hpp"

namespace saga::runtime {

/// Runs f() for an HTTP handler: a retryable database failure (server gone, deadlock after
/// retries, pool exhausted) becomes 503 UNAVAILABLE, which the client may retry. Anything else
/// passes through to the server's error translation.
template <typename F>
auto WithDatabase(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const db::Error& e) {
    if (e.IsRetryable()) {
      throw http::HttpError(503, "UNAVAILABLE", "database temporarily unavailable, retry later");
    }
    throw;
  }
}

}  // namespace saga::runtime
