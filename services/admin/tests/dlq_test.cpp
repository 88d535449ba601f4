#include <catch2/catch.hpp>

#include "saga/admin/dlq.hpp"

using namespace saga::admin;
using saga::kafka::Header;
using saga::kafka::InMessage;

namespace {

std::string Envelope(const std::string& event_id, const std::string& type, const std::string& order_id) {
  return nlohmann::json{{"eventId", event_id}, {"eventType", type},         {"schemaVersion", 1},
                        {"orderId", order_id}, {"occurredAt", "2026-01-01T00:00:00.000Z"}, {"payload", {}}}
      .dump();
}

// A dead letter as a consumer writes it: the original key, value and headers plus the DLQ's.
DeadLetter Letter(const std::string& source_topic, std::int32_t source_partition, std::int64_t source_offset,
                  const std::string& key, const std::string& event_id, std::int64_t dlq_offset = 0,
                  const std::string& consumer = "completion") {
  InMessage m;
  m.topic = source_topic + ".dlq";
  m.partition = 0;
  m.offset = dlq_offset;
  m.key = key;
  m.value = Envelope(event_id, source_topic, key);
  m.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
               {"error", "check constraint failed"},
               {"source-topic", source_topic},
               {"source-partition", std::to_string(source_partition)},
               {"source-offset", std::to_string(source_offset)},
               {"consumer", consumer}};
  return Describe(m);
}

std::vector<std::string> Positions(const std::vector<DeadLetter>& letters, const std::vector<std::size_t>& picked) {
  std::vector<std::string> out;
  for (const auto i : picked) out.push_back(letters[i].message.key + "/" + letters[i].SourcePosition());
  return out;
}

const std::vector<std::string> kTopics = {"order.created", "stock.reserved", "payment.completed"};

}  // namespace

TEST_CASE("Envelope fields are read from a JSON value", "[admin]") {
  const auto f = ParseEnvelopeFields(Envelope("e-1", "payment.completed", "o-1"));
  CHECK(f.is_json);
  CHECK(f.event_id == "e-1");
  CHECK(f.event_type == "payment.completed");
  CHECK(f.order_id == "o-1");
}

TEST_CASE("A value that is not JSON or not an envelope leaves the fields empty", "[admin]") {
  for (const std::string value : {"not json", "", "{\"eventId\":", "[1,2]", "\"text\"", "\xff\xfe"}) {
    const auto f = ParseEnvelopeFields(value);
    CHECK_FALSE(f.is_json);
    CHECK(f.event_id.empty());
    CHECK(f.event_type.empty());
  }
  const auto wrong_types = ParseEnvelopeFields(R"({"eventId":42,"eventType":null,"orderId":"o-9"})");
  CHECK(wrong_types.is_json);
  CHECK(wrong_types.event_id.empty());
  CHECK(wrong_types.event_type.empty());
  CHECK(wrong_types.order_id == "o-9");
}

TEST_CASE("A dead letter's source comes from its headers, else from the DLQ topic's name", "[admin]") {
  const auto d = Letter("payment.completed", 3, 41, "o-1", "e-1", 7);
  CHECK(d.source_topic == "payment.completed");
  CHECK(d.source_partition == 3);
  CHECK(d.source_offset == 41);
  CHECK(d.consumer == "completion");
  CHECK(d.error == "check constraint failed");
  CHECK(d.Position() == "payment.completed.dlq:0:7");
  CHECK(d.SourcePosition() == "payment.completed:3:41");

  InMessage bare;
  bare.topic = "stock.reserved.dlq";
  bare.value = "garbage";
  bare.headers = {{"source-partition", "x1"}, {"source-offset", ""}};
  const auto b = Describe(bare);
  CHECK(b.source_topic == "stock.reserved");
  CHECK(b.source_partition == -1);
  CHECK(b.source_offset == -1);
  CHECK(b.SourcePosition() == "stock.reserved:?:?");
  CHECK_FALSE(b.envelope.is_json);
  CHECK(DlqTopic("stock.reserved") == "stock.reserved.dlq");
  CHECK(DlqTopic("stock.reserved.dlq") == "stock.reserved.dlq");
}

TEST_CASE("A filter matches on every field it sets", "[admin]") {
  const auto d = Letter("payment.completed", 1, 5, "o-1", "e-1", 9);
  CHECK(Matches({}, d));
  CHECK(Matches({.dlq_topic = "payment.completed.dlq", .key = "o-1"}, d));
  CHECK_FALSE(Matches({.dlq_topic = "payment.completed", .key = "o-1"}, d));
  CHECK_FALSE(Matches({.key = "o-2"}, d));
  CHECK(Matches({.event_id = "e-1"}, d));
  CHECK(Matches({.dlq_topic = "payment.completed.dlq", .partition = 0, .offset = 9}, d));
  CHECK_FALSE(Matches({.dlq_topic = "payment.completed.dlq", .partition = 0, .offset = 8}, d));
}

TEST_CASE("A redrive goes key by key and for one key in the saga's topic order then source offset", "[admin]") {
  // As read: by DLQ topic and offset, which is neither the keys' nor the source order.
  const std::vector<DeadLetter> letters = {
      Letter("payment.completed", 2, 30, "o-b", "e-1", 0),
      Letter("payment.completed", 1, 12, "o-a", "e-2", 1),
      Letter("payment.completed", 1, 10, "o-a", "e-3", 2),
      Letter("stock.reserved", 0, 99, "o-a", "e-4", 0),
      Letter("order.created", 5, 500, "o-a", "e-5", 0),
      Letter("payment.completed", 2, 29, "o-b", "e-6", 3),
  };
  const auto plan = PlanRedrive(letters, kTopics);
  CHECK(plan.duplicates.empty());
  CHECK(Positions(letters, plan.send) ==
        std::vector<std::string>{"o-a/order.created:5:500", "o-a/stock.reserved:0:99", "o-a/payment.completed:1:10",
                                 "o-a/payment.completed:1:12", "o-b/payment.completed:2:29",
                                 "o-b/payment.completed:2:30"});
}

TEST_CASE("An event dead-lettered twice is redriven once, the first in source order", "[admin]") {
  const std::vector<DeadLetter> letters = {
      Letter("order.created", 0, 8, "o-a", "e-1", 0, "completion"),
      Letter("order.created", 0, 8, "o-a", "e-1", 1, "product-stock"),
      // Redriven before and dead-lettered again: a later source offset, the same event.
      Letter("order.created", 0, 20, "o-a", "e-1", 2, "completion"),
      Letter("order.created", 0, 9, "o-a", "e-2", 3),
  };
  const auto plan = PlanRedrive(letters, kTopics);
  CHECK(plan.send == std::vector<std::size_t>{0, 3});
  CHECK(plan.duplicates == std::vector<std::pair<std::size_t, std::size_t>>{{1, 0}, {2, 0}});
}

TEST_CASE("Dead letters without an eventId are told apart by their source position", "[admin]") {
  InMessage m;
  m.topic = "order.created.dlq";
  m.key = "o-x";
  m.value = "not json";
  m.headers = {{"source-topic", "order.created"}, {"source-partition", "1"}, {"source-offset", "4"}};
  auto a = m, b = m, c = m, d = m;
  b.offset = 1;  // another consumer's copy of the same message
  c.offset = 2;
  c.headers[2].value = "5";
  d.offset = 3;
  d.headers.clear();  // no position: never taken for a repeat
  auto e = d;
  e.offset = 4;
  const std::vector<DeadLetter> letters = {Describe(a), Describe(b), Describe(c), Describe(d), Describe(e)};
  const auto plan = PlanRedrive(letters, kTopics);
  CHECK(plan.send == std::vector<std::size_t>{3, 4, 0, 2});
  CHECK(plan.duplicates == std::vector<std::pair<std::size_t, std::size_t>>{{1, 0}});
}

TEST_CASE("A redriven message keeps key value and original headers and says where it came from", "[admin]") {
  const auto d = Letter("payment.completed", 3, 41, "o-1", "e-1", 7);
  const auto out = BuildRedrive(d, "2026-05-01T10:00:00.000Z");
  CHECK(out.topic == "payment.completed");
  CHECK(out.key == "o-1");
  CHECK(out.value == d.message.value);
  REQUIRE(out.headers.size() == 2);
  CHECK(out.headers[0].key == "traceparent");
  CHECK(out.headers[0].value == d.message.headers[0].value);
  CHECK(out.headers[1].key == "redriven");
  CHECK(out.headers[1].value == "payment.completed.dlq:0:7@2026-05-01T10:00:00.000Z");
}

TEST_CASE("A dead letter redriven before gets one fresh redriven header", "[admin]") {
  auto m = Letter("stock.reserved", 0, 3, "o-1", "e-1", 2).message;
  m.headers.push_back({"redriven", "stock.reserved.dlq:0:0@2026-01-01T00:00:00.000Z"});
  m.headers.push_back({"x-custom", "kept"});
  const auto d = Describe(m);
  CHECK(d.redriven == "stock.reserved.dlq:0:0@2026-01-01T00:00:00.000Z");
  const auto out = BuildRedrive(d, "2026-02-02T00:00:00.000Z");
  REQUIRE(out.headers.size() == 3);
  CHECK(out.headers[0].key == "traceparent");
  CHECK(out.headers[1].key == "x-custom");
  CHECK(out.headers[2].key == "redriven");
  CHECK(out.headers[2].value == "stock.reserved.dlq:0:2@2026-02-02T00:00:00.000Z");
  // With no source-topic header the DLQ topic's name says where it goes.
  InMessage bare;
  bare.topic = "payment.failed.dlq";
  bare.key = "o-2";
  bare.value = "x";
  CHECK(BuildRedrive(Describe(bare), "t").topic == "payment.failed");
}

TEST_CASE("A listing line and its JSON show the envelope and the DLQ headers", "[admin]") {
  const auto d = Letter("payment.completed", 3, 41, "o-1", "e-1", 7);
  CHECK(ListLine(d) ==
        "payment.completed.dlq:0:7 key=o-1 type=payment.completed eventId=e-1 source=payment.completed:3:41 "
        "consumer=completion error=check constraint failed");
  const auto j = ListJson(d);
  CHECK(j["dlqTopic"] == "payment.completed.dlq");
  CHECK(j["offset"] == 7);
  CHECK(j["key"] == "o-1");
  CHECK(j["eventType"] == "payment.completed");
  CHECK(j["eventId"] == "e-1");
  CHECK(j["sourcePartition"] == 3);
  CHECK(j["sourceOffset"] == 41);
  CHECK(j["error"] == "check constraint failed");
  CHECK(j["redriven"].is_null());

  InMessage bad;
  bad.topic = "order.created.dlq";
  bad.value = "{oops";
  bad.headers = {{"error", "not JSON:\nline 1"}};
  const auto b = Describe(bad);
  CHECK(ListLine(b) == "order.created.dlq:0:0 key=- type=- eventId=- source=order.created:?:? consumer=- "
                       "value=not-json error=not JSON: line 1");
  CHECK(ListJson(b)["eventId"].is_null());
  CHECK(ListJson(b)["sourceOffset"].is_null());
}

TEST_CASE("Show prints every header and the value pretty-printed", "[admin]") {
  const auto d = Letter("payment.completed", 3, 41, "o-1", "e-1", 7);
  const auto text = ShowText(d);
  CHECK_THAT(text, Catch::Contains("dead letter  payment.completed.dlq:0:7"));
  CHECK_THAT(text, Catch::Contains("  source-offset: 41\n"));
  CHECK_THAT(text, Catch::Contains("error        check constraint failed\n"));
  CHECK_THAT(text, Catch::Contains("value\n{\n  \"eventId\": \"e-1\",\n"));
  const auto j = ShowJson(d);
  CHECK(j["value"]["orderId"] == "o-1");
  CHECK(j["headers"].size() == 6);

  InMessage bad;
  bad.topic = "order.created.dlq";
  bad.value = "{oops";
  CHECK_THAT(ShowText(Describe(bad)), Catch::Contains("value (not JSON, 5 bytes)\n{oops\n"));
  CHECK(ShowJson(Describe(bad))["value"] == "{oops");
}
