#include "saga/config/program.hpp"

#include <sstream>

namespace saga::config {

std::string_view Version() { return SAGA_VERSION; }

std::string VersionLine(std::string_view program) {
  return std::string(program) + " " + std::string(Version()) + " (outbox-saga)";
}

std::string Wrap(std::string_view text, std::size_t indent, std::size_t width) {
  std::ostringstream out;
  const std::string pad(indent, ' ');
  std::size_t column = 0;
  std::istringstream words{std::string(text)};
  std::string word;
  while (words >> word) {
    if (column > 0 && column + 1 + word.size() > width) {
      out << '\n';
      column = 0;
    }
    if (column == 0) {
      out << pad << word;
      column = indent + word.size();
    } else {
      out << ' ' << word;
      column += 1 + word.size();
    }
  }
  out << '\n';
  return out.str();
}

std::string SettingsHelp(const std::vector<SettingInfo>& settings) {
  std::ostringstream out;
  for (const auto& s : settings) {
    out << "  " << s.name << '=' << s.fallback;
    if (!s.range.empty()) out << "  [" << s.range << ']';
    out << '\n' << Wrap(s.meaning, 6, 100);
  }
  return out.str();
}

}  // namespace saga::config
