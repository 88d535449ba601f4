#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "saga/http/server.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using saga::http::HttpError;
using saga::http::Request;
using saga::http::Response;

namespace {

/// A keep-alive HTTP/1.1 client over loopback, for exercising the real server.
class Client {
 public:
  explicit Client(int port) : stream_(io_) {
    stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                            static_cast<unsigned short>(port)));
  }
  bhttp::response<bhttp::string_body> Send(bhttp::verb verb, const std::string& target,
                                           const std::string& body = {},
                                           const std::string& content_type = "application/json",
                                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "localhost");
    if (!body.empty()) req.set(bhttp::field::content_type, content_type);
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    bhttp::write(stream_, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream_, buffer_, res);
    return res;
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

struct TestServer {
  saga::metrics::Registry registry;
  std::atomic<bool> ready{true};
  saga::http::Server server;

  static saga::http::Router Routes() {
    saga::http::Router r;
    r.Add("POST", "/echo/{name}", [](const Request& req) {
      auto body = req.Json();
      return Response::Json(200, {{"name", req.Param("name")}, {"body", body},
                                  {"q", req.Query("q").value_or("")}});
    });
    r.Add("GET", "/conflict", [](const Request&) -> Response {
      throw HttpError(409, "CONFLICT", "already there", "thing");
    });
    r.Add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("secret detail"); });
    r.Add("GET", "/trace", [](const Request& req) {
      return Response::Json(200, {{"traceparent", req.Traceparent()}});
    });
    return r;
  }

  TestServer()
      : server({.bind = "127.0.0.1", .port = 0, .io_threads = 1, .worker_threads = 2}, Routes(),
               registry, [this] { return std::map<std::string, saga::http::Check>{{"thing", {ready.load(), "the thing is off"}}}; }) {
    server.Start();
  }
};

nlohmann::json Body(const bhttp::response<bhttp::string_body>& r) {
  return nlohmann::json::parse(r.body());
}

}  // namespace

TEST_CASE("Server routes JSON with path and query parameters over keep-alive", "[http]") {
  TestServer s;
  Client c(s.server.Port());
  for (int i = 0; i < 3; ++i) {  // one connection, three requests
    auto res = c.Send(bhttp::verb::post, "/echo/abc?q=" + std::to_string(i), R"({"x":1})");
    REQUIRE(res.result_int() == 200);
    CHECK(res.keep_alive());
    const auto b = Body(res);
    CHECK(b["name"] == "abc");
    CHECK(b["body"]["x"] == 1);
    CHECK(b["q"] == std::to_string(i));
  }
}

TEST_CASE("Server turns bad requests and exceptions into the JSON error shape", "[http]") {
  TestServer s;
  Client c(s.server.Port());
  auto res = c.Send(bhttp::verb::post, "/echo/a", "{\"x\":", "application/json");
  CHECK(res.result_int() == 400);
  CHECK(Body(res)["error"]["code"] == "INVALID_JSON");

  res = c.Send(bhttp::verb::post, "/echo/a", "x=1", "application/x-www-form-urlencoded");
  CHECK(res.result_int() == 415);
  CHECK(Body(res)["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE");

  res = c.Send(bhttp::verb::post, "/echo/a", "{}", "application/json; charset=utf-8");
  CHECK(res.result_int() == 200);

  res = c.Send(bhttp::verb::get, "/conflict");
  CHECK(res.result_int() == 409);
  CHECK(Body(res)["error"] == nlohmann::json{{"code", "CONFLICT"}, {"message", "already there"}, {"field", "thing"}});

  res = c.Send(bhttp::verb::get, "/boom");
  CHECK(res.result_int() == 500);
  CHECK(Body(res)["error"]["code"] == "INTERNAL");
  CHECK(res.body().find("secret") == std::string::npos);

  res = c.Send(bhttp::verb::get, "/missing");
  CHECK(res.result_int() == 404);
  res = c.Send(bhttp::verb::delete_, "/conflict");
  CHECK(res.result_int() == 405);
}

TEST_CASE("Server answers 413 to a body over 64 KiB without reading it", "[http]") {
  TestServer s;
  Client c(s.server.Port());
  const std::string big = "\"" + std::string(64 * 1024 + 10, 'a') + "\"";
  auto res = c.Send(bhttp::verb::post, "/echo/a", big);
  CHECK(res.result_int() == 413);
  CHECK(Body(res)["error"]["code"] == "PAYLOAD_TOO_LARGE");
  CHECK_FALSE(res.keep_alive());

  Client c2(s.server.Port());
  const std::string fits = "\"" + std::string(60 * 1024, 'a') + "\"";
  CHECK(c2.Send(bhttp::verb::post, "/echo/a", fits).result_int() == 200);
}

TEST_CASE("Server answers 431 to oversized headers", "[http]") {
  TestServer s;
  Client c(s.server.Port());
  auto res = c.Send(bhttp::verb::get, "/trace", {}, {}, {{"X-Big", std::string(9000, 'h')}});
  CHECK(res.result_int() == 431);
}

TEST_CASE("Server mounts health and Prometheus metrics per route", "[http]") {
  TestServer s;
  Client c(s.server.Port());
  CHECK(c.Send(bhttp::verb::get, "/health/live").result_int() == 200);
  auto res = c.Send(bhttp::verb::get, "/health/ready");
  CHECK(res.result_int() == 200);
  CHECK_FALSE(Body(res).contains("reasons"));
  s.ready = false;
  res = c.Send(bhttp::verb::get, "/health/ready");
  CHECK(res.result_int() == 503);
  CHECK(Body(res)["checks"]["thing"] == "DOWN");
  CHECK(Body(res)["reasons"]["thing"] == "the thing is off");

  c.Send(bhttp::verb::post, "/echo/zz", "{}");
  c.Send(bhttp::verb::post, "/echo/yy", "{}");
  res = c.Send(bhttp::verb::get, "/metrics");
  CHECK(res.result_int() == 200);
  CHECK(std::string(res[bhttp::field::content_type]).find("text/plain") == 0);
  const auto& text = res.body();
  CHECK(text.find("# TYPE http_requests_total counter") != std::string::npos);
  CHECK(text.find(R"(http_requests_total{method="POST",route="/echo/{name}",status="200"} 2)") !=
        std::string::npos);
  CHECK(text.find("http_request_duration_seconds_bucket{method=\"POST\",route=\"/echo/{name}\"") !=
        std::string::npos);
}

TEST_CASE("Server continues the caller's trace and returns it", "[http]") {
  TestServer s;
  Client c(s.server.Port());
  const std::string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  auto res = c.Send(bhttp::verb::get, "/trace", {}, {}, {{"traceparent", parent}});
  const std::string tp = Body(res)["traceparent"];
  CHECK(tp.substr(0, 36) == parent.substr(0, 36));
  CHECK(std::string(res["traceparent"]) == tp);
}

TEST_CASE("Server answers Expect 100-continue before reading the body", "[http]") {
  TestServer s;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                         static_cast<unsigned short>(s.server.Port())));
  const std::string body = R"({"x":2})";
  const std::string head = "POST /echo/e HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  asio::write(stream.socket(), asio::buffer(head));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> interim;
  bhttp::read_header(stream, buffer, interim);  // arrives although no body was sent yet
  CHECK(interim.get().result_int() == 100);
  asio::write(stream.socket(), asio::buffer(body));
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  CHECK(res.result_int() == 200);
  CHECK(nlohmann::json::parse(res.body())["body"]["x"] == 2);
}

TEST_CASE("A streaming route sends chunks written from another thread until closed", "[http][sse]") {
  saga::metrics::Registry registry;
  saga::http::Router r;
  std::vector<std::thread> writers;
  r.AddStream("GET", "/stream/{n}", [&writers](const Request& req, const std::shared_ptr<saga::http::EventStream>& s)
                                        -> std::optional<Response> {
    const int n = std::stoi(req.Param("n"));
    if (n == 0) return Response::Error(404, "NOTHING", "nothing to stream");
    s->Write("data: first\n\n");  // before the header went out: queued
    writers.emplace_back([s, n] {
      for (int i = 1; i < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        s->Write("data: " + std::to_string(i) + "\n\n");
      }
      s->Close();
    });
    return std::nullopt;
  });
  saga::http::Server server({.bind = "127.0.0.1", .port = 0, .io_threads = 2, .worker_threads = 2}, r, registry,
                            nullptr);
  server.Start();
  {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                           static_cast<unsigned short>(server.Port())));
    const std::string get = "GET /stream/4 HTTP/1.1\r\nHost: x\r\n\r\n";
    asio::write(stream.socket(), asio::buffer(get));
    std::string all;
    beast::error_code ec;
    char buf[1024];
    for (;;) {
      const auto n = stream.socket().read_some(asio::buffer(buf), ec);
      if (ec) break;
      all.append(buf, n);
    }
    CHECK(ec == asio::error::eof);  // the server closes the stream's connection
    CHECK(all.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(all.find("data: first\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n") != std::string::npos);
  }
  Client c(server.Port());
  CHECK(c.Send(bhttp::verb::get, "/stream/0").result_int() == 404);
  for (auto& t : writers) t.join();
  server.Stop();
}

TEST_CASE("An asynchronous route answers from another thread without holding a worker", "[http][async]") {
  saga::metrics::Registry registry;
  saga::http::Router r;
  std::mutex mu;
  std::condition_variable cv;
  bool worker_busy = false;
  bool release_worker = false;
  std::vector<std::thread> answerers;
  r.Add("GET", "/block", [&](const Request&) {
    std::unique_lock lock(mu);
    worker_busy = true;
    cv.notify_all();
    // Released once the asynchronous requests were answered; if they needed this worker, they
    // wait for it and the release never comes: 503 then.
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return release_worker; })) {
      return Response::Error(503, "STUCK", "asynchronous requests waited for the worker");
    }
    return Response::Json(200, {{"blocked", true}});
  });
  r.AddAsync("POST", "/later/{how}", [&](const Request& req, saga::http::Reply reply) {
    const auto how = req.Param("how");
    const auto body = req.Json();  // read now: the request is gone once this returns
    if (how == "now") {
      reply(Response::Json(201, {{"how", how}, {"body", body}}));  // answered before the server waits
      return;
    }
    if (how == "refused") throw HttpError(409, "REFUSED", "refused at once", "how");
    answerers.emplace_back([reply, how, body] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      reply.Answer([&]() -> Response {
        if (how == "failing") throw std::runtime_error("secret detail");
        if (how == "conflict") throw HttpError(409, "CONFLICT", "later conflict", "how");
        return Response::Json(202, {{"how", how}, {"body", body}});
      });
      reply(Response::Json(200, {{"second", "ignored"}}));  // only the first answer counts
    });
  });
  saga::http::Server server({.bind = "127.0.0.1", .port = 0, .io_threads = 1, .worker_threads = 1}, r, registry,
                            nullptr);
  server.Start();
  // The only worker is busy for the whole test: the asynchronous route must not need it.
  std::thread blocked([&] { CHECK(Client(server.Port()).Send(bhttp::verb::get, "/block").result_int() == 200); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return worker_busy; });
  }
  Client c(server.Port());
  for (int i = 0; i < 2; ++i) {  // keep-alive: the connection goes on after an async answer
    auto res = c.Send(bhttp::verb::post, "/later/soon", R"({"n":)" + std::to_string(i) + "}");
    REQUIRE(res.result_int() == 202);
    CHECK(Body(res) == nlohmann::json{{"how", "soon"}, {"body", {{"n", i}}}});
    CHECK(!res["traceparent"].empty());
  }
  auto res = c.Send(bhttp::verb::post, "/later/now", "{}");
  CHECK(res.result_int() == 201);
  res = c.Send(bhttp::verb::post, "/later/refused", "{}");
  CHECK(res.result_int() == 409);
  CHECK(Body(res)["error"]["code"] == "REFUSED");
  res = c.Send(bhttp::verb::post, "/later/conflict", "{}");
  CHECK(res.result_int() == 409);
  CHECK(Body(res)["error"]["code"] == "CONFLICT");
  res = c.Send(bhttp::verb::post, "/later/failing", "{}");
  CHECK(res.result_int() == 500);
  CHECK(res.body().find("secret") == std::string::npos);
  res = c.Send(bhttp::verb::post, "/later/soon", "{");  // the handler's own parse error
  CHECK(res.result_int() == 400);
  {
    std::lock_guard lock(mu);
    release_worker = true;
  }
  cv.notify_all();
  blocked.join();
  for (auto& t : answerers) t.join();
  server.Stop();
}
