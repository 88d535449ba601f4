// Micro-benchmarks of the hot in-process paths (Catch2 BENCHMARK). Run: loadtest/microbench.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/saga_events.hpp"
#include "saga/db/rows.hpp"
#include "saga/loadgen/order_mix.hpp"
#include "saga/order/validation.hpp"

using namespace saga::contracts;

namespace {

Envelope SampleOrderCreated() {
  return Envelope::New(OrderCreated::kType, NewUuid(),
                       OrderCreated{UserId(42), {{ProductId(3), 2}, {ProductId(7), 1}}, std::nullopt});
}

}  // namespace

TEST_CASE("Envelope encode and decode", "[micro]") {
  const auto env = SampleOrderCreated();
  const auto text = env.Serialize();
  BENCHMARK("Envelope::New + Serialize (order.created)") { return SampleOrderCreated().Serialize(); };
  BENCHMARK("Envelope::Serialize") { return env.Serialize(); };
  BENCHMARK("Envelope::Parse") { return Envelope::Parse(text); };
  BENCHMARK("Envelope::Parse + payload as OrderCreated") {
    const auto e = Envelope::Parse(text);
    return PayloadAs<OrderCreated>(e.payload, e.event_type);
  };
}

TEST_CASE("Request validation", "[micro]") {
  const std::string body =
      R"({"userId":42,"items":[{"productId":3,"quantity":2},{"productId":7,"quantity":1}],"couponId":null})";
  BENCHMARK("POST /orders body: JSON parse + ParsePlaceOrder") {
    return saga::order::ParsePlaceOrder(nlohmann::json::parse(body));
  };
  const auto cmd = saga::order::ParsePlaceOrder(nlohmann::json::parse(body));
  BENCHMARK("PlaceOrderCommand::Canonical (idempotency comparison)") { return cmd.Canonical(); };
}

TEST_CASE("Batch building", "[micro]") {
  std::vector<std::string> batch;
  for (int i = 0; i < 500; ++i) batch.push_back(SampleOrderCreated().Serialize());
  BENCHMARK("decode a 500-event batch (Envelope::Parse each)") {
    std::size_t n = 0;
    for (const auto& m : batch) n += Envelope::Parse(m).order_id.size();
    return n;
  };
  BENCHMARK("multi-row SQL for a 500-row batch (ChunkSizes + RepeatRows)") {
    std::size_t n = 0;
    for (const auto k : saga::db::ChunkSizes(500)) {
      n += saga::db::RepeatRows("INSERT INTO outbox (event_id, event_type, order_id, envelope, traceparent, "
                                "created_at) VALUES ",
                                "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6))", k)
               .size();
    }
    return n;
  };
  saga::loadgen::MixOptions o;
  o.users = {1, 2, 3, 4, 5};
  o.products = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  o.max_items = 2;
  saga::loadgen::OrderMix mix(o, 1);
  BENCHMARK("loadgen: draw an order and build its body") { return saga::loadgen::OrderMix::Body(mix.Next()); };
}
