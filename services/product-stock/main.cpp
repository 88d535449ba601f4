#include "saga/runtime/runtime.hpp"
#include "saga/stock/app.hpp"

int main() { return saga::runtime::Main("product-stock", saga::stock::Start); }
