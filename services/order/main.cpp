#include "saga/order/app.hpp"
#include "saga/runtime/runtime.hpp"

int main() { return saga::runtime::Main("order", saga::order::Start); }
