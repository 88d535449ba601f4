// Prints the saga declaration (libs/contracts/saga.hpp) for scripts and tests in other languages:
// as JSON (the default), or as the flow picture of docs/architecture.md (--flow).
#include <iostream>
#include <string_view>

#include "saga/contracts/saga.hpp"

int main(int argc, char** argv) {
  const auto& saga = saga::contracts::Saga();
  const std::string_view arg = argc > 1 ? argv[1] : "";
  if (arg == "--flow") {
    std::cout << saga::contracts::FlowPicture(saga);
  } else if (arg.empty() || arg == "--json") {
    std::cout << saga::contracts::ToJson(saga).dump(2) << '\n';
  } else {
    std::cerr << "usage: saga-declaration [--json | --flow]\n";
    return 2;
  }
  return 0;
}
