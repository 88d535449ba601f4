#include "saga/completion/app.hpp"
#include "saga/runtime/runtime.hpp"

int main() { return saga::runtime::Main("completion", saga::completion::Start); }
