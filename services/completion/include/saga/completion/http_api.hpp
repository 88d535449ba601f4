#pragma once

#include <memory>

#include "saga/completion/watchers.hpp"
#include "saga/db/pool.hpp"
#include "saga/http/router.hpp"

namespace saga::completion {

/// GET /sagas/{orderId} (404 until its first event arrived), GET /sagas/stats,
/// GET /sagas/{orderId}/events (Server-Sent Events: the steps so far, then new ones as their
/// batches commit, then the final status; the stream closes there) and GET /sagas (the sagas of
/// one status, oldest first, in keyset pages).
http::Router MakeRouter(db::Pool& pool, std::shared_ptr<SagaWatchers> watchers);

}  // namespace saga::completion
