#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "saga/config/env.hpp"

namespace saga::config {

/// The project's version (CMake's PROJECT_VERSION), which every program's `--version` prints.
std::string_view Version();

/// "<program> <version> (outbox-saga)", the `--version` line.
std::string VersionLine(std::string_view program);

/// `text` in lines of at most `width` columns (longer words stay whole), each indented by
/// `indent` spaces and ended by a newline.
std::string Wrap(std::string_view text, std::size_t indent, std::size_t width);

/// The settings part of a `--help`: one block per setting,
///   NAME=default  [range]
///       meaning
/// in the order the program reads them (docs/operations.md lists the same).
std::string SettingsHelp(const std::vector<SettingInfo>& settings);

}  // namespace saga::config
