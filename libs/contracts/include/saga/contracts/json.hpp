#pragma once

#include <nlohmann/json.hpp>
#include <optional>

namespace saga::contracts {

/// The value, or JSON null when absent (nlohmann 3.11 does not convert std::optional itself).
template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

}  // namespace saga::contracts
