#include "saga/metrics/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace saga::metrics {

Registry::Registry() : registry_(std::make_shared<prometheus::Registry>()) {}

std::string Registry::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets{
      0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

HttpMetrics::HttpMetrics(Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("http_requests_total")
                    .Help("HTTP requests by route template, method and status")
                    .Register(registry.Raw())),
      latency_(prometheus::BuildHistogram()
                   .Name("http_request_duration_seconds")
                   .Help("HTTP request latency by route template and method")
                   .Register(registry.Raw())) {}

void HttpMetrics::Observe(const std::string& route, const std::string& method, int status,
                          double seconds) {
  requests_.Add({{"route", route}, {"method", method}, {"status", std::to_string(status)}})
      .Increment();
  latency_.Add({{"route", route}, {"method", method}}, LatencyBuckets()).Observe(seconds);
}

}  // namespace saga::metrics
