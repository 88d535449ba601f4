#include "saga/stock/app.hpp"

int main(int argc, char** argv) {
  using namespace saga::stock;
  return saga::runtime::Main(argc, argv, kProgram, &Config::Load, &Start);
}
