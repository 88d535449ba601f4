#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "saga/http/message.hpp"

namespace saga::http {

using Handler = std::function<Response(const Request&)>;

/// Maps (method, path) to a handler; `{name}` segments capture path parameters.
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;  // also the metrics label, e.g. /orders/{orderId}
    std::vector<std::string> segments;
    Handler handler;
  };
  struct Match {
    const Route* route = nullptr;
    PathParams params;
    bool path_known = false;  // some route has this path, with another method (405)
  };

  void Add(std::string method, std::string pattern, Handler handler);
  Match Find(std::string_view method, std::string_view path) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace saga::http
