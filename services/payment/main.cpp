#include "saga/payment/app.hpp"
#include "saga/runtime/runtime.hpp"

int main() { return saga::runtime::Main("payment", saga::payment::Start); }
