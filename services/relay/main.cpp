#include "saga/relay/app.hpp"

int main(int argc, char** argv) {
  using namespace saga::relay;
  return saga::runtime::Main(argc, argv, kProgram, &RelayConfig::Load, &Start);
}
