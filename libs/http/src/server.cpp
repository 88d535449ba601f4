#include "saga/http/server.hpp"

// Asio's awaitable.hpp in Boost 1.74 uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <mutex>
#include <thread>
#include <vector>

#include "saga/contracts/trace.hpp"
#include "saga/log/log.hpp"

namespace saga::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

/// The server's side of an EventStream: chunks queued by any thread, sent by the session.
/// Wake-ups are posted to the session's strand, so none is lost between a check and a wait.
class StreamImpl : public EventStream, public std::enable_shared_from_this<StreamImpl> {
 public:
  explicit StreamImpl(const asio::any_io_executor& ex) : timer_(ex) {}

  bool Write(std::string chunk) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      queue_.push_back(std::move(chunk));
    }
    Wake();
    return true;
  }
  void Close() override {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    Wake();
  }
  bool Closed() const override {
    std::lock_guard lock(mu_);
    return closed_;
  }
  /// Everything queued so far; `closed` tells whether more may come.
  std::deque<std::string> Take(bool& closed) {
    std::lock_guard lock(mu_);
    closed = closed_;
    return std::exchange(queue_, {});
  }
  asio::steady_timer& Timer() { return timer_; }

 private:
  void Wake() {
    asio::post(timer_.get_executor(), [self = shared_from_this()] { self->timer_.cancel(); });
  }

  mutable std::mutex mu_;
  std::deque<std::string> queue_;
  bool closed_ = false;
  asio::steady_timer timer_;
};

// kStreaming as a Response's status: the handler streams its answer (Server-Sent Events).
constexpr int kStreaming = 0;

// A handler's answer, or the error response for what it threw (the one place that translates).
Response AnswerOrError(const std::string& route, const std::string& traceparent,
                       const std::function<Response()>& make) {
  try {
    return make();
  } catch (const HttpError& e) {
    return Response::Error(e.Status(), e.Code(), e.what(), e.Field());
  } catch (const std::exception& e) {
    log::Error("unhandled error in handler",
               {{"route", route}, {"error", e.what()}, {"traceparent", traceparent}});
    return Response::Error(500, "INTERNAL", "internal error");
  }
}

}  // namespace

/// An asynchronous handler's answer: set once from any thread, awaited by the session. Whichever
/// comes second (the answer or the wait) resumes the session, always through its strand.
class Reply::State {
 public:
  State(asio::any_io_executor ex, std::string route, std::string traceparent)
      : route(std::move(route)), traceparent(std::move(traceparent)), ex_(std::move(ex)) {}

  void Set(Response r) {
    std::function<void(Response)> resume;
    {
      std::lock_guard lock(mu_);
      if (answered_) return;
      answered_ = true;
      if (!resume_) {
        answer_ = std::move(r);
        return;
      }
      resume = std::move(resume_);
    }
    Resume(std::move(resume), std::move(r));
  }

  asio::awaitable<Response> Wait() {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(Response)>(
        [this](auto handler) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          std::function<void(Response)> resume = [h](Response r) { (*h)(std::move(r)); };
          std::unique_lock lock(mu_);
          if (!answer_) {
            resume_ = std::move(resume);
            return;
          }
          auto r = std::move(*answer_);
          answer_.reset();
          lock.unlock();
          Resume(std::move(resume), std::move(r));
        },
        asio::use_awaitable);
  }

  const std::string route;
  const std::string traceparent;

 private:
  void Resume(std::function<void(Response)> resume, Response r) {
    asio::post(ex_, [resume = std::move(resume), r = std::move(r)]() mutable { resume(std::move(r)); });
  }

  asio::any_io_executor ex_;
  std::mutex mu_;
  bool answered_ = false;
  std::optional<Response> answer_;           // set before the session waits
  std::function<void(Response)> resume_;     // set while the session waits
};

void Reply::operator()(Response response) const { state_->Set(std::move(response)); }

void Reply::Answer(const std::function<Response()>& make) const {
  state_->Set(AnswerOrError(state_->route, state_->traceparent, make));
}

struct Server::Impl {
  ServerOptions options;
  metrics::Registry& registry;
  metrics::HttpMetrics http_metrics;
  ReadinessCheck ready;
  asio::io_context io;
  // After `io`, so destroyed before it: what the handlers own (a writer that still answers
  // asynchronous requests, say) may post to `io` until then.
  Router router;
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> io_threads;
  int bound_port = 0;
  bool running = false;

  // Host limits (docs/adr/0014-connection-cap-and-a-reserve-descriptor.md): open connections, a descriptor held in reserve for answering while the
  // process has none left, and the rate-limited log of accept failures.
  std::atomic<int> open_connections{0};
  int spare_fd = -1;
  prometheus::Gauge& open_gauge;
  prometheus::Family<prometheus::Counter>& refused;
  std::chrono::steady_clock::time_point last_accept_log{};
  std::uint64_t unlogged_accept_failures = 0;

  Impl(ServerOptions o, Router r, metrics::Registry& reg, ReadinessCheck rd)
      : options(std::move(o)),
        registry(reg),
        http_metrics(reg),
        ready(std::move(rd)),
        io(std::max(1, options.io_threads)),
        router(std::move(r)),
        open_gauge(prometheus::BuildGauge()
                       .Name("http_connections_open")
                       .Help("Open HTTP connections (at most the connection cap)")
                       .Register(reg.Raw())
                       .Add({})),
        refused(prometheus::BuildCounter()
                    .Name("http_connections_refused_total")
                    .Help("Connections answered at once and closed: over the cap, or while out of file descriptors")
                    .Register(reg.Raw())) {
    MountBuiltins();
  }

  void MountBuiltins() {
    router.Add("GET", "/health/live",
               [](const Request&) { return Response::Json(200, {{"status", "UP"}}); });
    router.Add("GET", "/health/ready", [this](const Request&) {
      const auto checks = ready ? ready() : std::map<std::string, Check>{};
      bool all = true;
      nlohmann::json body{{"checks", nlohmann::json::object()}};
      for (const auto& [name, check] : checks) {
        body["checks"][name] = check.up ? "UP" : "DOWN";
        if (!check.up && !check.detail.empty()) body["reasons"][name] = check.detail;
        all = all && check.up;
      }
      body["status"] = all ? "UP" : "DOWN";
      return Response::Json(all ? 200 : 503, body);
    });
    router.Add("GET", "/metrics", [this](const Request&) {
      Response r;
      r.body = registry.Serialize();
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    });
  }

  // Runs on a worker thread: call the matched handler (or answer 404/405).
  // `stream` is set for a streaming route; then a Response with status kStreaming means "stream it".
  Response Dispatch(const RawRequest& raw, Router::Match& match, std::string_view path,
                    const std::string& route_label, const std::string& traceparent,
                    std::shared_ptr<StreamImpl>& stream) {
    if (match.route == nullptr) {
      return match.path_known
                 ? Response::Error(405, "METHOD_NOT_ALLOWED", "method not allowed on this path")
                 : Response::Error(404, "NOT_FOUND", "no route for " + std::string(path));
    }
    return AnswerOrError(route_label, traceparent, [&] {
      Request req(raw, std::move(match.params), traceparent);
      if (match.route->stream_handler) {
        auto answer = match.route->stream_handler(req, stream);
        if (answer) {
          stream.reset();
          return std::move(*answer);
        }
        Response streaming;
        streaming.status = kStreaming;
        return streaming;
      }
      stream.reset();
      return match.route->handler(req);
    });
  }

  // Routes on the I/O thread; an asynchronous route runs there too and is awaited, any other
  // hops to the worker pool and back.
  asio::awaitable<Response> Handle(const RawRequest& raw, std::string& route_label,
                                   std::shared_ptr<StreamImpl>& stream) {
    const auto tp_it = raw.find("traceparent");
    const std::string traceparent =
        contracts::ContinueTrace(tp_it == raw.end() ? std::string() : std::string(tp_it->value()));
    const auto target = raw.target();
    std::string_view path(target.data(), target.size());
    path = path.substr(0, path.find('?'));
    const auto method = raw.method_string();
    auto match = router.Find(std::string_view(method.data(), method.size()), path);
    route_label = match.route == nullptr ? "unmatched" : match.route->pattern;
    Response res;
    if (match.route != nullptr && match.route->async_handler) {
      stream.reset();
      auto state = std::make_shared<Reply::State>(co_await asio::this_coro::executor, route_label,
                                                  traceparent);
      bool handed_off = false;
      res = AnswerOrError(route_label, traceparent, [&] {
        Request req(raw, std::move(match.params), traceparent);
        match.route->async_handler(req, Reply(state));
        handed_off = true;
        return Response{};
      });
      if (handed_off) res = co_await state->Wait();
    } else {
      // Hop to the worker pool for the handler; resume here on the I/O thread afterwards.
      res = co_await asio::co_spawn(
          *workers,
          [&]() -> asio::awaitable<Response> {
            co_return Dispatch(raw, match, path, route_label, traceparent, stream);
          },
          asio::use_awaitable);
    }
    res.headers.emplace_back("traceparent", traceparent);
    co_return res;
  }

  static bhttp::response<bhttp::string_body> ToBeast(Response&& r, unsigned version,
                                                     bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(r.status), version};
    out.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) out.set(k, v);
    out.body() = std::move(r.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.socket().set_option(tcp::no_delay(true));
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      parser.body_limit(options.body_limit);
      stream.expires_after(options.read_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
      if (!ec && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        // Clients such as curl wait for this before sending a larger body.
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
        co_await bhttp::async_write(stream, cont, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!ec && !parser.is_done()) {
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::connection_reset || ec == asio::error::eof ||
          ec == asio::error::operation_aborted) {
        break;
      }
      if (ec) {
        // The request could not be read whole: answer, then close (the rest is unread).
        Response err = ec == bhttp::error::body_limit
                           ? Response::Error(413, "PAYLOAD_TOO_LARGE",
                                             "request body exceeds " +
                                                 std::to_string(options.body_limit) + " bytes")
                       : ec == bhttp::error::header_limit
                           ? Response::Error(431, "HEADERS_TOO_LARGE", "request headers too large")
                           : Response::Error(400, "BAD_REQUEST", "malformed HTTP request");
        const int status = err.status;
        auto out = ToBeast(std::move(err), 11, false);
        stream.expires_after(options.read_timeout);
        co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
        http_metrics.Observe("unmatched", "UNKNOWN", status, 0.0);
        break;
      }
      RawRequest req = parser.release();
      const auto started = std::chrono::steady_clock::now();
      std::string route_label;
      auto event_stream = std::make_shared<StreamImpl>(co_await asio::this_coro::executor);
      Response res = co_await Handle(req, route_label, event_stream);
      if (event_stream && res.status == kStreaming) {
        co_await Stream(stream, *event_stream, req.version());
        const auto m = req.method_string();
        http_metrics.Observe(route_label, std::string(m.data(), m.size()), 200,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        break;  // a stream ends its connection
      }
      const bool keep_alive = req.keep_alive();
      const int status = res.status;
      auto out = ToBeast(std::move(res), req.version(), keep_alive);
      stream.expires_after(options.read_timeout);
      co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const auto m = req.method_string();
      http_metrics.Observe(route_label, std::string(m.data(), m.size()), status, secs);
      if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Sends a text/event-stream response: header, then chunks as they come, a comment line every
  // 15 s while idle (which also notices a client that went away), until the stream is closed.
  asio::awaitable<void> Stream(beast::tcp_stream& stream, StreamImpl& events, unsigned version) {
    bhttp::response<bhttp::empty_body> head{bhttp::status::ok, version};
    head.set(bhttp::field::content_type, "text/event-stream");
    head.set(bhttp::field::cache_control, "no-cache");
    head.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    beast::error_code ec;
    stream.expires_after(options.read_timeout);
    co_await bhttp::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    while (!ec) {
      bool closed = false;
      auto chunks = events.Take(closed);
      for (const auto& chunk : chunks) {
        stream.expires_after(options.read_timeout);
        co_await asio::async_write(stream, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      if (ec || (closed && chunks.empty())) break;
      if (!chunks.empty()) continue;
      events.Timer().expires_after(std::chrono::seconds(15));
      beast::error_code wait_ec;
      co_await events.Timer().async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
      if (!wait_ec) {
        stream.expires_after(options.read_timeout);
        co_await asio::async_write(stream, asio::buffer(std::string_view(": keep-alive\n\n")),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    events.Close();  // a writer learns the client is gone
  }

  // A connection that is not served: what its client has already sent is read without waiting;
  // GET /health/live is answered (so liveness stays visible), anything else gets 503
  // TOO_MANY_CONNECTIONS; then it is closed. Nothing here blocks or allocates per connection.
  void Refuse(tcp::socket& socket, const char* reason) {
    refused.Add({{"reason", reason}}).Increment();
    static constexpr std::string_view kLive =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n"
        "Connection: close\r\n\r\n{\"status\":\"UP\"}";
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        "Content-Length: 99\r\nConnection: close\r\n\r\n"
        "{\"error\":{\"code\":\"TOO_MANY_CONNECTIONS\",\"message\":\"the server has no room for another connection\"}}";
    static_assert(kBusy.size() - kBusy.find("\r\n\r\n") - 4 == 99);
    char head[4096];
    const auto n = ::recv(socket.native_handle(), head, sizeof head, MSG_DONTWAIT);
    const std::string_view got(head, n > 0 ? static_cast<std::size_t>(n) : 0);
    const auto answer = got.starts_with("GET /health/live ") ? kLive : kBusy;
    // Read the rest that has arrived, so that closing sends FIN, not a reset that could destroy
    // the answer before the client reads it.
    for (int i = 0; i < 16 && ::recv(socket.native_handle(), head, sizeof head, MSG_DONTWAIT) > 0; ++i) {
    }
    [[maybe_unused]] const auto sent = ::send(socket.native_handle(), answer.data(), answer.size(),
                                              MSG_DONTWAIT | MSG_NOSIGNAL);
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  // At most one line per second about failing accepts, with how many were not logged.
  void LogAcceptFailure(const beast::error_code& ec) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_accept_log < std::chrono::seconds(1)) {
      ++unlogged_accept_failures;
      return;
    }
    log::Warn("accept failed", {{"error", ec.message()},
                                {"openConnections", open_connections.load()},
                                {"failuresNotLogged", unlogged_accept_failures}});
    last_accept_log = now;
    unlogged_accept_failures = 0;
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    struct Count {
      Impl& i;
      explicit Count(Impl& impl) : i(impl) { i.open_gauge.Set(++i.open_connections); }
      ~Count() { i.open_gauge.Set(--i.open_connections); }
    } count(*this);
    co_await Serve(std::move(socket));
  }

  asio::awaitable<void> Listen() {
    spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    asio::steady_timer pause(co_await asio::this_coro::executor);
    auto backoff = std::chrono::milliseconds(10);
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) {
        LogAcceptFailure(ec);
        const bool out_of_fds = ec == asio::error::no_descriptors || ec.value() == ENFILE ||
                                ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
        if (out_of_fds && spare_fd >= 0) {
          // Give the reserve descriptor to the waiting connection, answer it, take it back.
          ::close(spare_fd);
          tcp::socket waiting = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
          if (!ec) Refuse(waiting, "fd_limit");
          spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
          if (!ec && spare_fd >= 0) continue;
        }
        // No descriptor to spare (or another failure): wait instead of spinning on the backlog.
        pause.expires_after(backoff);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
        continue;
      }
      backoff = std::chrono::milliseconds(10);
      if (open_connections.load() >= options.max_connections) {
        Refuse(socket, "cap");
        continue;
      }
      // One strand per connection: stream wake-ups posted from other threads are serialised
      // with the session's own steps.
      asio::co_spawn(asio::make_strand(io), Session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(ServerOptions options, Router router, metrics::Registry& registry,
               ReadinessCheck ready)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), registry,
                                   std::move(ready))) {}

Server::~Server() { Stop(); }

void Server::Start() {
  auto& i = *impl_;
  const auto address = asio::ip::make_address(i.options.bind);
  i.acceptor = std::make_unique<tcp::acceptor>(i.io);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(i.options.port));
  i.acceptor->open(endpoint.protocol());
  i.acceptor->set_option(asio::socket_base::reuse_address(true));
  i.acceptor->bind(endpoint);
  // docs/adr/0014: a connection reaches accept() once its first bytes have arrived (or after about a
  // second), so a refused one can still be told /health/live from anything else, and idle
  // connections wait in the kernel instead of taking descriptors.
  const int defer_seconds = 1;
  ::setsockopt(i.acceptor->native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds);
  i.acceptor->listen(asio::socket_base::max_listen_connections);
  i.bound_port = i.acceptor->local_endpoint().port();
  i.workers = std::make_unique<asio::thread_pool>(std::max(1, i.options.worker_threads));
  asio::co_spawn(i.io, i.Listen(), asio::detached);
  for (int t = 0; t < std::max(1, i.options.io_threads); ++t) {
    i.io_threads.emplace_back([&i] { i.io.run(); });
  }
  i.running = true;
}

void Server::Stop() {
  auto& i = *impl_;
  if (!i.running) return;
  i.running = false;
  i.io.stop();
  for (auto& t : i.io_threads) t.join();
  i.io_threads.clear();
  i.workers->join();  // running handlers finish; their results are dropped with the sessions
  beast::error_code ec;
  i.acceptor->close(ec);
  if (i.spare_fd >= 0) ::close(i.spare_fd);
  i.spare_fd = -1;
}

int Server::Port() const { return impl_->bound_port; }

}  // namespace saga::http
