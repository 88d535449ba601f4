#include "saga/messaging/handler.hpp"

#include <catch2/catch.hpp>

#include "saga/contracts/saga.hpp"

using namespace saga;
using messaging::Incoming;

namespace {

// An event type the saga does not have, declared the way the saga declares its own: one entry.
constexpr contracts::Field kHappenedFields[] = {
    {.name = "userId", .kind = contracts::Field::Kind::kInteger, .min = 1},
    {.name = "note",
     .kind = contracts::Field::Kind::kString,
     .required = false,
     .min = 1,
     .max = 8},
};
constexpr contracts::Participant kToPayment[] = {contracts::Participant::kPayment};
std::vector<contracts::EventType> WithTestEvent() {
  std::vector<contracts::EventType> events(contracts::Saga().events.begin(),
                                           contracts::Saga().events.end());
  events.push_back({"test.happened", contracts::Participant::kOrder, kToPayment, kHappenedFields,
                    "a test event"});
  return events;
}
const contracts::Declaration& TestSaga() {
  static const auto events = WithTestEvent();
  static const contracts::Declaration d{events, contracts::Saga().outcomes};
  return d;
}

// ... its payload type ...
struct TestHappened {
  static constexpr const char* kType = "test.happened";
  static const contracts::Declaration& Declaration() { return TestSaga(); }
  std::int64_t user_id = 0;
};
void from_json(const nlohmann::json& j, TestHappened& t) {
  t.user_id = j.at("userId").get<std::int64_t>();
}

// ... and one handler, which registers for it beside an event the saga has.
class TestHandler : public messaging::Handles<contracts::PaymentFailed, TestHappened> {
 protected:
  messaging::Output Handle(const std::vector<Typed>&, db::Transaction&) override { return {}; }
};

messaging::Event EventOf(const char* type, nlohmann::json payload) {
  return {contracts::Envelope::New(type, "order-1", std::move(payload)), ""};
}

}  // namespace

TEST_CASE("A handler's payload types are its subscription", "[messaging]") {
  CHECK(TestHandler().Topics() == std::vector<std::string>{"payment.failed", "test.happened"});
}

TEST_CASE("Adding an event type is one declaration entry and one handler", "[messaging]") {
  // The subscription follows (above), the broker's topics follow ...
  const auto topics = TestSaga().BrokerTopics();
  CHECK(std::find(topics.begin(), topics.end(), "test.happened") != topics.end());
  CHECK(std::find(topics.begin(), topics.end(), "test.happened.dlq") != topics.end());
  CHECK(TestSaga().ConsumedBy(contracts::Participant::kPayment) ==
        std::vector<std::string>{"stock.reserved", "saga.aborted", "test.happened"});
  // ... and so do the checks of its payload, before the handler sees it.
  const auto good = EventOf("test.happened", {{"userId", 7}, {"note", "hi"}});
  const auto typed = TestHandler::Parse(good);
  REQUIRE(std::holds_alternative<Incoming<TestHappened>>(typed));
  CHECK(std::get<Incoming<TestHappened>>(typed).payload.user_id == 7);
  CHECK(std::get<Incoming<TestHappened>>(typed).OrderId() == "order-1");
  CHECK_THROWS_WITH(TestHandler::Parse(EventOf("test.happened", {{"userId", 0}})),
                    Catch::Contains("test.happened payload") && Catch::Contains("userId"));
  CHECK_THROWS_WITH(
      TestHandler::Parse(EventOf("test.happened", {{"userId", 1}, {"note", "far too long"}})),
      Catch::Contains("note"));
  CHECK(contracts::Saga().Find("test.happened") == nullptr);  // the saga itself is untouched
}

TEST_CASE("Events are parsed into their own type, and others are refused", "[messaging]") {
  const auto failed =
      EventOf("payment.failed", {{"userId", 1}, {"amount", 5}, {"reason", "UNKNOWN_USER"}});
  const auto typed = TestHandler::Parse(failed);
  REQUIRE(std::holds_alternative<Incoming<contracts::PaymentFailed>>(typed));
  CHECK(std::get<Incoming<contracts::PaymentFailed>>(typed).payload.reason == "UNKNOWN_USER");
  CHECK(std::get<Incoming<contracts::PaymentFailed>>(typed).event == &failed);
  CHECK_THROWS_WITH(TestHandler::Parse(EventOf("order.created", {{"userId", 1}})),
                    Catch::Contains("not consumed here"));
  const auto paid =
      EventOf("payment.failed", {{"userId", 1}, {"amount", -5}, {"reason", "UNKNOWN_USER"}});
  CHECK_THROWS_AS(TestHandler::Parse(paid), contracts::ContractError);
}

TEST_CASE("EmitOf names the payload's event type and its cause", "[messaging]") {
  const auto cause = EventOf("payment.failed", {});
  const auto e = messaging::EmitOf(cause, contracts::StockReleased{{{contracts::ProductId(1), 2}}});
  CHECK(e.type == "stock.released");
  CHECK(e.cause == &cause);
  CHECK(e.payload == nlohmann::json{{"items", {{{"productId", 1}, {"quantity", 2}}}}});
}
