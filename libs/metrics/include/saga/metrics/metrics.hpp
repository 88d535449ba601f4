#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace saga::metrics {

/// The process's metric registry; families are registered on it by each component.
class Registry {
 public:
  Registry();
  prometheus::Registry& Raw() { return *registry_; }
  /// Everything registered, in the Prometheus text exposition format (version 0.0.4).
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

/// http_requests_total{route,method,status} and http_request_duration_seconds{route,method}.
class HttpMetrics {
 public:
  explicit HttpMetrics(Registry& registry);
  void Observe(const std::string& route, const std::string& method, int status, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

/// Latency buckets in seconds, from 0.25 ms to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

}  // namespace saga::metrics
