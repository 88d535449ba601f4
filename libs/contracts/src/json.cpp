#include "saga/contracts/json.hpp"

#include <cmath>
#include <set>
#include <vector>

namespace saga::contracts {

nlohmann::json ParseStrict(std::string_view text, JsonProblem& problem) {
  using Event = nlohmann::json::parse_event_t;
  constexpr double kExact = 9007199254740992.0;  // 2^53: every integer up to it is a double
  std::vector<std::set<std::string>> keys;        // the keys seen in each open object
  std::string duplicate;
  bool found_duplicate = false;
  auto check = [&](int, Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start:
        keys.emplace_back();
        break;
      case Event::object_end:
        keys.pop_back();
        break;
      case Event::key:
        if (!keys.back().insert(parsed.get<std::string>()).second && !found_duplicate) {
          found_duplicate = true;
          duplicate = parsed.get<std::string>();
        }
        break;
      case Event::value:
        if (parsed.is_number_float()) {
          const double d = parsed.get<double>();
          if (std::trunc(d) == d && std::fabs(d) <= kExact) parsed = static_cast<std::int64_t>(d);
        }
        break;
      default:
        break;
    }
    return true;
  };
  auto j = nlohmann::json::parse(text, check, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    problem = {JsonProblem::Kind::kInvalid, "not valid JSON"};
    return nullptr;
  }
  if (found_duplicate) {
    problem = {JsonProblem::Kind::kDuplicateKey, "key '" + duplicate + "' appears twice in one object"};
    return nullptr;
  }
  return j;
}

}  // namespace saga::contracts
