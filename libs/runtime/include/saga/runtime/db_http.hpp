#pragma once

#include "saga/db/error.hpp"
#include "saga/db/pool.hpp"
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

/// Runs fn(tx) in a transaction of its own and commits it, for an HTTP handler (WithDatabase).
/// A throw before the commit rolls back.
template <typename F>
auto Transact(db::Pool& pool, F&& fn) {
  return WithDatabase([&] {
    return db::InTransaction(pool, [&](db::Transaction& tx) {
      auto result = fn(tx);
      tx.Commit();
      return result;
    });
  });
}

}  // namespace saga::runtime
