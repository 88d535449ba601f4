#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace saga::contracts {

/// A value with a tag so that, e.g., a UserId cannot be passed where a ProductId is expected.
template <typename Tag, typename T>
struct StrongId {
  T value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(T v) : value(std::move(v)) {}
  auto operator<=>(const StrongId&) const = default;
};

using UserId = StrongId<struct UserIdTag, std::int64_t>;
using ProductId = StrongId<struct ProductIdTag, std::int64_t>;

/// A new UUID, version 7: 48 bits of Unix milliseconds then random bits, so ids sort by
/// creation time (good for InnoDB primary keys) and are unique across processes.
std::string NewUuid();

/// True for the canonical 8-4-4-4-12 lowercase-or-uppercase hex form.
bool IsUuid(const std::string& s);
/// A canonical UUID in lowercase, as every event id is.
bool IsLowercaseUuid(const std::string& s);
/// yyyy-mm-ddThh:mm:ss.mmmZ naming a real instant (month 1-12, a day its month has, hour < 24,
/// minute and second < 60), as every occurredAt is.
bool IsIso8601Millis(std::string_view s);

/// Current UTC time as ISO-8601 with milliseconds, e.g. 2026-11-21T12:00:00.123Z.
std::string NowIso8601();

}  // namespace saga::contracts
