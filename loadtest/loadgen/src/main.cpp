// loadgen: an open-loop load generator for POST /orders, coupon issue and balance charge. See
// loadtest/README.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "saga/config/program.hpp"
#include "saga/loadgen/order_mix.hpp"
#include "saga/loadgen/runner.hpp"
#include "saga/loadgen/schedule.hpp"
#include "saga/loadgen/stats.hpp"

using namespace saga::loadgen;

namespace {

nlohmann::json ToJson(const Percentiles& p) {
  auto round = [](double v) { return std::round(v * 1000) / 1000; };
  return {{"p50", round(p.p50)}, {"p95", round(p.p95)}, {"p99", round(p.p99)}, {"max", round(p.max)}};
}

/// Per second of the run: requests due (by schedule), answered (by arrival of the answer),
/// accepted, errors and the latency of the requests due in that second.
nlohmann::json Timeline(const std::vector<Result>& results) {
  std::map<long, std::vector<double>> latency;
  std::map<long, long> due, answered, accepted, refused, errors;
  for (const auto& r : results) {
    const auto s = static_cast<long>(r.scheduled_s);
    ++due[s];
    ++answered[static_cast<long>(r.done_s)];
    latency[s].push_back(r.latency_ms);
    (!r.error.empty() ? errors[s] : !r.refusal.empty() ? refused[s] : accepted[s])++;
  }
  long last = 0;
  for (const auto& [s, _] : answered) last = std::max(last, s);
  for (const auto& [s, _] : due) last = std::max(last, s);
  nlohmann::json out = nlohmann::json::array();
  for (long s = 0; s <= last; ++s) {
    auto p = Summarize(latency[s]);
    out.push_back({{"t", s},
                   {"due", due[s]},
                   {"answered", answered[s]},
                   {"accepted", accepted[s]},
                   {"refused", refused[s]},
                   {"errors", errors[s]},
                   {"http_ms", ToJson(p)}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Open-loop load generator for POST /orders, POST /coupons/{id}/issue or POST "
               "/users/{id}/balance/charge: requests are sent on a clock, never waiting for earlier answers; "
               "latency counts from each request's scheduled time."};
  app.option_defaults()->always_capture_default();
  app.set_version_flag("--version", saga::config::VersionLine("loadgen"));
  std::string url = "http://127.0.0.1:8080";
  double rate = 0, duration = 0, ramp_up = 0;
  std::vector<std::string> stage_texts;
  int connections = 128, timeout_ms = 10'000;
  std::string users = "1-100", products = "1-10";
  MixOptions mix;
  mix.max_items = 2;
  std::uint64_t seed = 1;
  std::string out_path, orders_path, key_prefix;
  bool quiet = false;
  std::string api = "orders", coupon_id;
  std::int64_t amount = 1;
  app.add_option("--url", url, "base URL of the service (order for orders, payment for issue and charge)")
      ->capture_default_str();
  app.add_option("--api", api,
                 "orders: POST /orders; issue: POST /coupons/{--coupon}/issue, request i for the i-th of --users "
                 "(round robin); charge: POST /users/{id}/balance/charge {--amount}, the same way")
      ->check(CLI::IsMember({"orders", "issue", "charge"}))
      ->capture_default_str();
  app.add_option("--coupon", coupon_id, "the campaign for --api issue, or for --coupon-share orders");
  app.add_option("--amount", amount, "won per charge for --api charge")
      ->check(CLI::Range(static_cast<std::int64_t>(1), static_cast<std::int64_t>(1'000'000'000'000)))
      ->capture_default_str();
  app.add_option("--rate", rate, "requests per second held for --duration");
  app.add_option("--duration", duration, "seconds at --rate");
  app.add_option("--ramp-up", ramp_up, "seconds ramping from 0 to --rate before the hold")->capture_default_str();
  app.add_option("--stage", stage_texts,
                 "DURATION:RATE, repeatable, instead of --rate/--duration: the rate moves linearly to RATE "
                 "over DURATION (30s, 2m, 500ms) from the previous stage's rate (0 at first)");
  app.add_option("--connections", connections, "keep-alive connections at most, opened as needed")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "per request; a slower answer is an error")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--users", users, "user ids to draw from, like 1-100 or 3,5,9-12")->capture_default_str();
  app.add_option("--products", products, "product ids to draw from")->capture_default_str();
  app.add_option("--max-items", mix.max_items, "distinct products per order, 1..N")
      ->check(CLI::Range(1, 50))
      ->capture_default_str();
  app.add_option("--max-quantity", mix.max_quantity, "units per item, 1..N")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--fail-share", mix.fail_share,
                 "share of orders built to fail, half out of stock and half for an unknown user")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--out-of-stock-product", mix.out_of_stock_product, "a product with no stock (for --fail-share)");
  app.add_option("--unknown-user", mix.unknown_user, "a user without an account (for --fail-share)");
  app.add_option("--coupon-share", mix.coupon_share,
                 "share of orders with --coupon as couponId, sent in pairs of one user and items (the two race "
                 "for the one coupon)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--seed", seed, "seed of the order mix")->capture_default_str();
  app.add_option("--key-prefix", key_prefix, "Idempotency-Key prefix (default: loadgen-<start time>-)");
  app.add_option("--out", out_path, "write the summary and a per-second timeline here (JSON)");
  app.add_option("--orders", orders_path,
                 "write every order request here, one per line: Idempotency-Key, orderId (- if no 202 came back: "
                 "it may still have been placed), kind, userId, productId:quantity,...");
  std::string get_path;
  app.add_option("--get", get_path,
                 "GET this path (like /health/live) instead of POST /orders: a ceiling of the HTTP layer alone");
  app.add_flag("--quiet", quiet, "no progress lines");
  CLI11_PARSE(app, argc, argv);

  std::vector<Stage> stages;
  try {
    if (!stage_texts.empty()) {
      if (rate > 0 || duration > 0 || ramp_up > 0) {
        throw std::invalid_argument("give either --stage or --rate/--duration/--ramp-up, not both");
      }
      for (const auto& t : stage_texts) stages.push_back(ParseStage(t));
    } else {
      if (rate <= 0 || duration <= 0) throw std::invalid_argument("--rate and --duration (both > 0) are required");
      if (ramp_up > 0) stages.push_back({ramp_up, rate});
      stages.push_back({duration, rate});
    }
    mix.users = ParseIdList(users);
    mix.products = ParseIdList(products);
    if (api == "issue" && coupon_id.empty()) throw std::invalid_argument("--api issue needs --coupon");
    if (api == "charge" && !coupon_id.empty()) throw std::invalid_argument("--coupon is not for --api charge");
    mix.coupon_id = coupon_id;
  } catch (const std::invalid_argument& e) {
    std::cerr << "loadgen: " << e.what() << "\n";
    return 2;
  }

  RunOptions run;
  try {
    run.target = ParseUrl(url);
    run.api = api == "issue" ? Api::kIssue : api == "charge" ? Api::kCharge : Api::kOrders;
    run.coupon_id = coupon_id;
    run.users = mix.users;
    run.amount = amount;
    // --rate/--duration without a ramp holds the rate from the first request on.
    run.send_times = SendTimes(stages, stage_texts.empty() && ramp_up <= 0 ? rate : 0);
    if (run.api == Api::kOrders) {
      OrderMix orders(mix, seed);
      run.orders.reserve(run.send_times.size());
      for (std::size_t i = 0; i < run.send_times.size(); ++i) run.orders.push_back(orders.Next());
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "loadgen: " << e.what() << "\n";
    return 2;
  }
  run.max_connections = connections;
  run.timeout = std::chrono::milliseconds(timeout_ms);
  run.progress = !quiet;
  run.get_path = get_path;
  const auto started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  run.key_prefix = key_prefix.empty() ? "loadgen-" + std::to_string(started_ms) + "-" : key_prefix;

  std::vector<Result> results;
  try {
    results = Run(run);
  } catch (const std::exception& e) {
    std::cerr << "loadgen: " << e.what() << "\n";
    return 1;
  }

  std::size_t accepted = 0, refused = 0;
  double last_done = 0;
  std::vector<double> latency;
  std::map<std::string, std::size_t> error_kinds;
  std::map<std::string, std::size_t> accepted_by_kind, refused_by_code;
  latency.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    latency.push_back(r.latency_ms);
    last_done = std::max(last_done, r.done_s);
    if (!r.refusal.empty()) {
      ++refused;
      ++refused_by_code[r.refusal];
    } else if (r.error.empty()) {
      ++accepted;
      if (run.api == Api::kOrders) ++accepted_by_kind[KindName(run.orders[i].kind)];
    } else {
      ++error_kinds[r.status == 0 ? r.error : r.error.substr(0, r.error.find(':'))];
    }
  }
  const auto http = Summarize(latency);
  const double achieved = last_done > 0 ? static_cast<double>(results.size()) / last_done : 0;
  nlohmann::json summary{
      {"started_at_ms", started_ms},
      {"api", api},
      {"planned_rps", stages.back().rate},
      {"stages", nlohmann::json::array()},
      {"requests", results.size()},
      {"accepted", accepted},
      {"accepted_by_kind", accepted_by_kind},
      {"refused", refused},
      {"refused_by_code", refused_by_code},
      {"errors", results.size() - accepted - refused},
      {"error_kinds", error_kinds},
      {"elapsed_s", std::round(last_done * 1000) / 1000},
      {"achieved_rps", std::round(achieved * 10) / 10},
      {"http_ms", ToJson(http)},
      {"timeline", Timeline(results)}};
  for (const auto& s : stages) summary["stages"].push_back({{"seconds", s.seconds}, {"rate", s.rate}});

  if (!orders_path.empty() && get_path.empty() && run.api == Api::kOrders) {
    std::ofstream f(orders_path);
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& o = run.orders[i];
      const auto& id = results[i].order_id;
      f << run.key_prefix << i << '\t' << (id.empty() ? "-" : id) << '\t' << KindName(o.kind) << '\t' << o.user
        << '\t';
      for (std::size_t k = 0; k < o.items.size(); ++k) {
        f << (k ? "," : "") << o.items[k].first << ':' << o.items[k].second;
      }
      f << '\n';
    }
    if (!f) {
      std::cerr << "loadgen: cannot write " << orders_path << "\n";
      return 1;
    }
  }
  if (!out_path.empty()) {
    std::ofstream f(out_path);
    f << summary.dump(2) << '\n';
    if (!f) {
      std::cerr << "loadgen: cannot write " << out_path << "\n";
      return 1;
    }
  }
  std::cerr << "loadgen: " << results.size() << " requests in " << last_done << " s (" << achieved
            << "/s), accepted " << accepted << ", refused " << refused << ", errors "
            << results.size() - accepted - refused << "; http ms p50 "
            << http.p50 << " p95 " << http.p95 << " p99 " << http.p99 << " max " << http.max << "\n";
  for (const auto& [code, n] : refused_by_code) std::cerr << "loadgen:   " << n << " x refused " << code << "\n";
  for (const auto& [kind, n] : error_kinds) std::cerr << "loadgen:   " << n << " x " << kind << "\n";
  return 0;
}
