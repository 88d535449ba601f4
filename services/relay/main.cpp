#include "saga/relay/app.hpp"
#include "saga/runtime/runtime.hpp"

int main() { return saga::runtime::Main("relay", saga::relay::Start); }
