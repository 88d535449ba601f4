#include "saga/loadgen/runner.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace saga::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Target ParseUrl(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) throw std::invalid_argument("only http:// URLs are supported: '" + url + "'");
  auto rest = std::string_view(url).substr(scheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    throw std::invalid_argument("give the service's base URL, like http://127.0.0.1:8080, not '" + url + "'");
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) return {std::string(rest), "80"};
  return {std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

namespace {

struct Conn {
  explicit Conn(const asio::any_io_executor& ex) : stream(ex) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool reused = false;  // it has served a request before (the server may have closed it since)
};

class Runner {
 public:
  explicit Runner(const RunOptions& o) : o_(o), results_(o.send_times.size()) {}

  std::vector<Result> Run() {
    endpoints_ = tcp::resolver(io_).resolve(o_.target.host, o_.target.port);
    {
      // Fail at once with a clear message rather than with N identical errors.
      tcp::socket probe(io_);
      boost::system::error_code ec;
      asio::connect(probe, endpoints_, ec);
      if (ec) {
        throw std::runtime_error("cannot connect to " + o_.target.host + ":" + o_.target.port + ": " + ec.message());
      }
    }
    start_ = Clock::now();
    asio::co_spawn(io_, Schedule(), asio::detached);
    if (o_.progress) asio::co_spawn(io_, Progress(), asio::detached);
    io_.run();
    return std::move(results_);
  }

 private:
  // A request waiting for a connection: woken when Release hands one over, or one may be opened.
  struct ConnectionRequest {
    explicit ConnectionRequest(const asio::any_io_executor& ex) : timer(ex, Clock::time_point::max()) {}
    asio::steady_timer timer;
    std::unique_ptr<Conn> conn;  // handed over by Release; null: try to open one
  };

  bool Finished() const { return scheduled_all_ && in_flight_ == 0; }
  double Now() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  asio::awaitable<void> Schedule() {
    asio::steady_timer timer(io_);
    for (std::size_t i = 0; i < o_.send_times.size(); ++i) {
      const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o_.send_times[i]));
      if (due > Clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(asio::use_awaitable);
      }
      ++in_flight_;
      asio::co_spawn(io_, Fire(i), asio::detached);
    }
    scheduled_all_ = true;
    if (Finished()) progress_timer_.cancel();
  }

  asio::awaitable<void> Progress() {
    while (!Finished()) {
      progress_timer_.expires_after(std::chrono::seconds(5));
      boost::system::error_code ec;
      co_await progress_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (Finished()) break;
      std::cerr << "loadgen: " << static_cast<int>(Now()) << " s, sent " << sent_ << ", done " << done_
                << ", in flight " << in_flight_ << ", errors " << errors_ << ", connections " << open_
                << "\n";
    }
  }

  asio::awaitable<std::unique_ptr<Conn>> Open() {
    auto c = std::make_unique<Conn>(io_.get_executor());
    c->stream.expires_after(o_.timeout);
    co_await c->stream.async_connect(endpoints_, asio::use_awaitable);
    c->stream.socket().set_option(tcp::no_delay(true));
    co_return c;
  }

  // An idle connection, a new one (up to max_connections), or the next one released.
  asio::awaitable<std::unique_ptr<Conn>> Acquire() {
    for (;;) {
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        co_return c;
      }
      if (open_ < o_.max_connections) {
        ++open_;
        try {
          co_return co_await Open();
        } catch (...) {
          Dropped();
          throw;
        }
      }
      ConnectionRequest w(io_.get_executor());
      connection_requests_.push_back(&w);
      boost::system::error_code ec;
      co_await w.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (w.conn) co_return std::move(w.conn);
    }
  }

  void Release(std::unique_ptr<Conn> c) {
    c->reused = true;
    if (!connection_requests_.empty()) {
      auto* w = connection_requests_.front();
      connection_requests_.pop_front();
      w->conn = std::move(c);
      w->timer.cancel();
      return;
    }
    idle_.push_back(std::move(c));
  }

  // A connection was closed or never opened: a waiter may open one in its place.
  void Dropped() {
    --open_;
    if (!connection_requests_.empty()) {
      auto* w = connection_requests_.front();
      connection_requests_.pop_front();
      w->timer.cancel();
    }
  }

  asio::awaitable<void> Fire(std::size_t i) {
    auto& r = results_[i];
    r.scheduled_s = o_.send_times[i];
    const bool get = !o_.get_path.empty();
    bhttp::request<bhttp::string_body> req{get ? bhttp::verb::get : bhttp::verb::post, Path(i), 11};
    req.set(bhttp::field::host, o_.target.host);
    req.keep_alive(true);
    if (!get) {
      req.set(bhttp::field::content_type, "application/json");
      if (o_.api != Api::kIssue) req.set("Idempotency-Key", o_.key_prefix + std::to_string(i));
      req.body() = Body(i);
    }
    req.prepare_payload();

    std::unique_ptr<Conn> c;
    bhttp::response<bhttp::string_body> res;
    try {
      c = co_await Acquire();
      ++sent_;
      for (int attempt = 0;; ++attempt) {
        boost::system::error_code ec;
        c->stream.expires_after(o_.timeout);
        co_await bhttp::async_write(c->stream, req, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
          res = {};
          co_await bhttp::async_read(c->stream, c->buffer, res, asio::redirect_error(asio::use_awaitable, ec));
        }
        if (!ec) break;
        // A kept-alive connection the server closed meanwhile: retry once on a new one. The
        // same Idempotency-Key makes a repeat harmless even if the first one got through.
        if (attempt > 0 || !c->reused || ec == beast::error::timeout) throw boost::system::system_error(ec);
        c = co_await Open();
      }
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    r.done_s = Now();
    r.latency_ms = (r.done_s - r.scheduled_s) * 1000;
    ++done_;
    --in_flight_;
    if (Finished()) progress_timer_.cancel();
    if (!r.error.empty()) {
      ++errors_;
      if (c) Dropped();
      co_return;
    }
    r.status = static_cast<int>(res.result_int());
    if (get) {
      if (r.status != 200) r.error = "HTTP " + std::to_string(r.status);
    } else if (o_.api == Api::kOrders && r.status == 202) {
      try {
        r.order_id = nlohmann::json::parse(res.body()).at("orderId").get<std::string>();
      } catch (const std::exception& e) {
        r.error = std::string("202 without an orderId: ") + e.what();
      }
    } else if ((o_.api == Api::kIssue && r.status == 201) || (o_.api == Api::kCharge && r.status == 200)) {
    } else if ((o_.api == Api::kIssue && (r.status == 409 || r.status == 404)) || r.status == 429) {
      // First come, first served: SOLD_OUT, ALREADY_ISSUED, ... are answers, not errors; so is an
      // admission refusal (429 OVERLOADED: nothing was placed).
      try {
        r.refusal = nlohmann::json::parse(res.body()).at("error").at("code").get<std::string>();
      } catch (const std::exception& e) {
        r.error = "HTTP " + std::to_string(r.status) + " without an error code: " + e.what();
      }
    } else {
      r.error = "HTTP " + std::to_string(r.status) + ": " + res.body().substr(0, 300);
    }
    if (!r.error.empty()) ++errors_;
    if (res.keep_alive()) {
      Release(std::move(c));
    } else {
      Dropped();
    }
  }

  std::int64_t UserOf(std::size_t i) const { return o_.users[i % o_.users.size()]; }

  std::string Path(std::size_t i) const {
    if (!o_.get_path.empty()) return o_.get_path;
    switch (o_.api) {
      case Api::kIssue:
        return "/coupons/" + o_.coupon_id + "/issue";
      case Api::kCharge:
        return "/users/" + std::to_string(UserOf(i)) + "/balance/charge";
      case Api::kOrders:
        break;
    }
    return "/orders";
  }

  std::string Body(std::size_t i) const {
    switch (o_.api) {
      case Api::kIssue:
        return R"({"userId":)" + std::to_string(UserOf(i)) + "}";
      case Api::kCharge:
        return R"({"amount":)" + std::to_string(o_.amount) + "}";
      case Api::kOrders:
        break;
    }
    return OrderMix::Body(o_.orders[i]);
  }

  const RunOptions& o_;
  asio::io_context io_;
  asio::steady_timer progress_timer_{io_};
  tcp::resolver::results_type endpoints_;
  Clock::time_point start_;
  std::vector<Result> results_;
  std::vector<std::unique_ptr<Conn>> idle_;
  std::deque<ConnectionRequest*> connection_requests_;
  int open_ = 0;
  std::size_t in_flight_ = 0, sent_ = 0, done_ = 0, errors_ = 0;
  bool scheduled_all_ = false;
};

}  // namespace

std::vector<Result> Run(const RunOptions& options) { return Runner(options).Run(); }

}  // namespace saga::loadgen
