#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "saga/loadgen/order_mix.hpp"

namespace saga::loadgen {

/// http://host:port (no TLS, no path).
struct Target {
  std::string host;
  std::string port;
};
/// Throws std::invalid_argument for anything but http://HOST[:PORT][/].
Target ParseUrl(const std::string& url);

/// The API a run drives.
enum class Api {
  kOrders,  ///< POST /orders (202 accepted), built from `orders`
  kIssue,   ///< POST /coupons/{coupon_id}/issue {"userId"} (201; 409/404 COUPON_* are refusals)
  kCharge,  ///< POST /users/{userId}/balance/charge {"amount"} with an Idempotency-Key (200)
};

struct RunOptions {
  Target target;
  Api api = Api::kOrders;
  std::string coupon_id;              // kIssue: the campaign
  std::vector<std::int64_t> users;    // kIssue, kCharge: request i is for users[i % users.size()]
  std::int64_t amount = 1;            // kCharge: won per charge
  std::vector<double> send_times;     // seconds from the start, one per request (see SendTimes)
  std::vector<Order> orders;          // one per request
  int max_connections = 128;          // keep-alive connections, opened as needed
  std::chrono::milliseconds timeout{10'000};
  std::string key_prefix;             // Idempotency-Key = prefix + request index
  std::string get_path;               // if set: GET this path instead of POST /orders (200 = ok)
  bool progress = true;               // a line on stderr every 5 s
};

/// One request's outcome. Latency counts from the scheduled send time, not from when a
/// connection became free, so queueing behind a slow server shows (no coordinated omission).
struct Result {
  double scheduled_s = 0;
  double done_s = 0;
  double latency_ms = 0;
  int status = 0;  // HTTP status; 0 when no response came (connect, I/O error, timeout)
  std::string order_id;  // set when the order was accepted (202)
  std::string refusal;   // the error code of a refusal (kIssue: COUPON_SOLD_OUT, ...; any API: 429 OVERLOADED)
  std::string error;     // why it is neither accepted nor refused, when it is not
};

/// Runs the schedule against the API (or GET get_path) over one I/O thread and returns one Result per request,
/// in request order. Throws std::runtime_error if the target cannot be reached at all.
std::vector<Result> Run(const RunOptions& options);

}  // namespace saga::loadgen
