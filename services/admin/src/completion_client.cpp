#include "saga/admin/completion_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace saga::admin {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// A saga answer is a few KiB; more is not the completion service.
constexpr std::uint64_t kBodyLimit = 4 << 20;

}  // namespace

HttpUrl ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    throw std::invalid_argument("not an http:// URL: " + std::string(url));
  }
  auto rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) {
    auto path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    out.base_path = std::string(path);
  }
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      url.find_first_of("?#") != std::string_view::npos) {
    throw std::invalid_argument("expected http://HOST[:PORT][/PATH]: " + std::string(url));
  }
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.port = std::string(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
  }
  out.host = std::string(authority);
  const bool digits = !out.port.empty() && out.port.size() <= 5 &&
                      out.port.find_first_not_of("0123456789") == std::string::npos;
  if (out.host.empty() || !digits || std::stoi(out.port) > 65535) {
    throw std::invalid_argument("expected http://HOST[:PORT][/PATH]: " + std::string(url));
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '.' ||
        u == '_' || u == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

SagaState ParseSagaAnswer(int http_status, std::string_view body) {
  SagaState saga;
  if (http_status == 404) return saga;
  if (http_status != 200) {
    throw std::runtime_error("GET /sagas answered " + std::to_string(http_status) + ": " +
                             std::string(body.substr(0, 200)));
  }
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const auto status = j.is_object() ? j.find("status") : j.end();
  if (!j.is_object() || status == j.end() || !status->is_string()) {
    throw std::runtime_error("GET /sagas answered 200 without a status: " + std::string(body.substr(0, 200)));
  }
  saga.found = true;
  saga.status = status->get<std::string>();
  const auto reason = j.find("reason");
  if (reason != j.end() && reason->is_string()) saga.reason = reason->get<std::string>();
  return saga;
}

std::string FinalSagaNote(std::string_view order_id, const SagaState& saga) {
  std::string note = "saga " + std::string(order_id) + " is already " + saga.status;
  if (saga.reason) note += " (" + *saga.reason + ")";
  return note + ": redriving changes nothing";
}

SagaState GetSaga(const HttpUrl& url, std::string_view order_id, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.base_path + "/sagas/" + PercentEncode(order_id), 11};
  req.set(bhttp::field::host, url.host);
  req.set(bhttp::field::accept, "application/json");
  req.set(bhttp::field::user_agent, "saga-admin");
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kBodyLimit);
  beast::flat_buffer buffer;
  std::string failed;
  auto fail = [&](const char* step, const beast::error_code& ec) {
    failed = std::string(step) + ": " + ec.message();
  };
  bool done = false;

  // The stream's timer bounds connect, send and read; run_for bounds the name look-up too.
  stream.expires_after(timeout);
  resolver.async_resolve(url.host, url.port, [&](const beast::error_code& ec, const tcp::resolver::results_type& at) {
    if (ec) return fail("resolve", ec);
    stream.async_connect(at, [&](const beast::error_code& ec, const tcp::endpoint&) {
      if (ec) return fail("connect", ec);
      bhttp::async_write(stream, req, [&](const beast::error_code& ec, std::size_t) {
        if (ec) return fail("send", ec);
        bhttp::async_read(stream, buffer, parser, [&](const beast::error_code& ec, std::size_t) {
          if (ec) return fail("read", ec);
          done = true;
        });
      });
    });
  });
  io.run_for(timeout + std::chrono::milliseconds(100));
  const std::string target = "http://" + url.host + ":" + url.port + std::string(req.target());
  if (!done) {
    throw std::runtime_error("GET " + target + ": " + (failed.empty() ? "no answer in time" : failed));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  const auto& res = parser.get();
  try {
    return ParseSagaAnswer(static_cast<int>(res.result_int()), res.body());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("GET " + target + ": " + e.what());
  }
}

}  // namespace saga::admin
