#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "saga/http/message.hpp"

namespace saga::http {

using Handler = std::function<Response(const Request&)>;

/// A response body written over time, e.g. Server-Sent Events. Thread-safe: a handler keeps it
/// and writes from any thread; the server sends the chunks in order and closes the connection
/// after Close(). Write returns false once the stream is closed (or the client went away).
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual bool Write(std::string chunk) = 0;
  virtual void Close() = 0;
  virtual bool Closed() const = 0;
};

/// Answers at once (return a Response, e.g. a 404) or returns nullopt and keeps `stream`.
using StreamHandler =
    std::function<std::optional<Response>(const Request&, const std::shared_ptr<EventStream>& stream)>;

/// How an asynchronous handler answers, once, from any thread. The server sends the response
/// from the connection's own I/O thread. Copies share one answer: the first call counts.
class Reply {
 public:
  class State;
  explicit Reply(std::shared_ptr<State> state) : state_(std::move(state)) {}
  /// Sends `response`.
  void operator()(Response response) const;
  /// Runs `make` and sends what it returns, or, if it throws, the error response a throwing
  /// handler gets (HttpError as itself, anything else as a logged 500).
  void Answer(const std::function<Response()>& make) const;

 private:
  std::shared_ptr<State> state_;
};

/// Runs on the connection's I/O thread, so it must not block: it reads what it needs from the
/// request (which is gone once it returns) and hands `reply` to whoever answers later. An
/// exception it throws is the answer, and then `reply` must not be used.
using AsyncHandler = std::function<void(const Request&, Reply reply)>;

/// Maps (method, path) to a handler; `{name}` segments capture path parameters.
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;  // also the metrics label, e.g. /orders/{orderId}
    std::vector<std::string> segments;
    Handler handler;
    StreamHandler stream_handler;  // set instead of `handler` for streaming routes
    AsyncHandler async_handler;    // set instead of `handler` for asynchronous routes
  };
  struct Match {
    const Route* route = nullptr;
    PathParams params;
    bool path_known = false;  // some route has this path, with another method (405)
  };

  void Add(std::string method, std::string pattern, Handler handler);
  /// A streaming route: the response is `text/event-stream`, written until the stream closes.
  void AddStream(std::string method, std::string pattern, StreamHandler handler);
  /// An asynchronous route: no worker thread waits while the answer is prepared elsewhere.
  void AddAsync(std::string method, std::string pattern, AsyncHandler handler);
  Match Find(std::string_view method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace saga::http
