#pragma once

#include <string>

namespace saga::contracts {

/// True for a W3C trace-context `traceparent` of version 00 with non-zero ids.
bool IsValidTraceparent(const std::string& tp);

/// Keeps the caller's trace if `incoming` is valid and starts a new span under it;
/// otherwise starts a new trace. Returns the traceparent to pass on.
std::string ContinueTrace(const std::string& incoming);

/// The 32-hex trace id of a valid traceparent.
std::string TraceId(const std::string& tp);

}  // namespace saga::contracts
