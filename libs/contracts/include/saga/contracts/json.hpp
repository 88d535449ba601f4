#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace saga::contracts {

/// The value, or JSON null when absent (nlohmann 3.11 does not convert std::optional itself).
template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

/// What ParseStrict found wrong with a text.
struct JsonProblem {
  enum class Kind { kInvalid, kDuplicateKey } kind;
  std::string message;
};

/// Parses `text` as every boundary of this system reads JSON (HTTP bodies and Kafka messages):
/// - a key repeated in one object is refused, not "the last one wins";
/// - a number with no fraction part (`1.0`, `2e3`) within ±2^53 is an integer, as JSON Schema's
///   "integer" type says, so the schemas in proto-json and the code agree on it.
/// Returns the value, or sets `problem` and returns null.
nlohmann::json ParseStrict(std::string_view text, JsonProblem& problem);

}  // namespace saga::contracts
