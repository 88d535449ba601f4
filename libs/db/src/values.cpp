#include "saga/db/values.hpp"

#include <cppconn/datatype.h>

namespace saga::db {

void BindOptional(sql::PreparedStatement& st, int index, const std::optional<std::string>& value) {
  if (value) {
    st.setString(index, *value);
  } else {
    st.setNull(index, sql::DataType::VARCHAR);
  }
}

void BindOptional(sql::PreparedStatement& st, int index, const std::optional<std::int64_t>& value) {
  if (value) {
    st.setInt64(index, *value);
  } else {
    st.setNull(index, sql::DataType::BIGINT);
  }
}

std::optional<std::int64_t> OptionalInt(sql::ResultSet& rs, int column) {
  if (rs.isNull(column)) return std::nullopt;
  return rs.getInt64(column);
}

std::optional<std::string> OptionalString(sql::ResultSet& rs, int column) {
  if (rs.isNull(column)) return std::nullopt;
  return rs.getString(column).asStdString();
}

std::string IsoFromDateTime(std::string text) {
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  return text + "Z";
}

}  // namespace saga::db
