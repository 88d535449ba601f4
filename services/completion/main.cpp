#include "saga/completion/app.hpp"

int main(int argc, char** argv) {
  using namespace saga::completion;
  return saga::runtime::Main(argc, argv, kProgram, &LoadConfig, &Start);
}
