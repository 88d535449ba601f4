#include "saga/payment/app.hpp"

int main(int argc, char** argv) {
  using namespace saga::payment;
  return saga::runtime::Main(argc, argv, kProgram, &Config::Load, &Start);
}
