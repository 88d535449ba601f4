#include "saga/db/rows.hpp"

#include <stdexcept>

namespace saga::db {

std::string RepeatRows(std::string_view head, std::string_view row, std::size_t k, std::string_view tail,
                       std::string_view separator) {
  std::string s;
  s.reserve(head.size() + k * (row.size() + separator.size()) + tail.size());
  s += head;
  for (std::size_t i = 0; i < k; ++i) {
    if (i > 0) s += separator;
    s += row;
  }
  s += tail;
  return s;
}

void RowLiterals::Put(int index, std::string literal) {
  if (index < 1) throw std::logic_error("parameter index " + std::to_string(index) + " is below 1");
  const auto i = static_cast<std::size_t>(index - 1);
  if (values_.size() <= i) values_.resize(i + 1);
  values_[i] = std::move(literal);
}

void RowLiterals::setString(int index, std::string_view value) { Put(index, quote_(value)); }

void RowLiterals::AppendRow(std::string& out, std::string_view row) const {
  std::size_t used = 0;
  for (const char c : row) {
    if (c != '?') {
      out += c;
      continue;
    }
    if (used >= values_.size() || values_[used].empty()) {
      throw std::logic_error("no value for parameter " + std::to_string(used + 1) + " of " + std::string(row));
    }
    out += values_[used++];
  }
  if (used != values_.size()) {
    throw std::logic_error(std::to_string(values_.size()) + " values for " + std::to_string(used) +
                           " parameters of " + std::string(row));
  }
}

void BindOptional(RowLiterals& row, int index, const std::optional<std::string>& value) {
  if (value) {
    row.setString(index, *value);
  } else {
    row.setNull(index, 0);
  }
}

}  // namespace saga::db
