#pragma once

#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <optional>
#include <string>

namespace saga::db {

/// Binds `value`, or SQL NULL when it is empty.
void BindOptional(sql::PreparedStatement& st, int index, const std::optional<std::string>& value);
void BindOptional(sql::PreparedStatement& st, int index, const std::optional<std::int64_t>& value);

/// A nullable string column.
std::optional<std::string> OptionalString(sql::ResultSet& rs, int column);
/// A nullable BIGINT column.
std::optional<std::int64_t> OptionalInt(sql::ResultSet& rs, int column);

/// A UTC DATETIME read as text ("2026-11-21 12:00:00.123") in ISO-8601 ("2026-11-21T12:00:00.123Z").
std::string IsoFromDateTime(std::string text);

}  // namespace saga::db
