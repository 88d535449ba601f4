#include "saga/order/app.hpp"

int main(int argc, char** argv) {
  using namespace saga::order;
  return saga::runtime::Main(argc, argv, kProgram, &Config::Load, &Start);
}
