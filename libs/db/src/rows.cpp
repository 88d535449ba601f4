#include "saga/db/rows.hpp"

namespace saga::db {

std::vector<std::size_t> ChunkSizes(std::size_t n) {
  std::vector<std::size_t> out;
  for (; n >= kMaxChunk; n -= kMaxChunk) out.push_back(kMaxChunk);
  if (n >= kChunkStep) out.push_back(n / kChunkStep * kChunkStep);
  if (n % kChunkStep > 0) out.push_back(n % kChunkStep);
  return out;
}

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

}  // namespace saga::db
