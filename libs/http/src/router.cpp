#include "saga/http/router.hpp"

namespace saga::http {
namespace {

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto j = path.find('/', i);
    out.emplace_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return out;
}

bool IsParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler) {
  auto segments = Split(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments),
                          std::move(handler), nullptr, nullptr});
}

void Router::AddStream(std::string method, std::string pattern, StreamHandler handler) {
  auto segments = Split(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments), nullptr,
                          std::move(handler), nullptr});
}

void Router::AddAsync(std::string method, std::string pattern, AsyncHandler handler) {
  auto segments = Split(pattern);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(segments), nullptr,
                          nullptr, std::move(handler)});
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  const auto parts = Split(path);
  Match result;
  // Literal segments win over parameters: try exact-literal routes first.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& route : routes_) {
      if (route.segments.size() != parts.size()) continue;
      bool has_param = false;
      PathParams params;
      bool ok = true;
      for (std::size_t i = 0; i < parts.size() && ok; ++i) {
        const auto& seg = route.segments[i];
        if (IsParam(seg)) {
          has_param = true;
          params[seg.substr(1, seg.size() - 2)] = parts[i];
        } else {
          ok = seg == parts[i];
        }
      }
      if (!ok || has_param != (pass == 1)) continue;
      if (route.method != method) {
        result.path_known = true;
        continue;
      }
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
  }
  return result;
}

}  // namespace saga::http
