#include "address_proxy.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

using saga::devbroker::kFindCoordinator;
using saga::devbroker::kMetadata;
using saga::devbroker::ListenSpec;
using saga::devbroker::RewriteBrokerAddresses;

namespace {

struct Bytes {
  std::string s;
  Bytes& I16(std::int16_t v) {
    s.push_back(static_cast<char>((v >> 8) & 0xff));
    s.push_back(static_cast<char>(v & 0xff));
    return *this;
  }
  Bytes& I32(std::int32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      s.push_back(static_cast<char>((v >> shift) & 0xff));
    return *this;
  }
  Bytes& Str(const std::string& v) {
    I16(static_cast<std::int16_t>(v.size()));
    s += v;
    return *this;
  }
  Bytes& Null() { return I16(-1); }
};

// A Metadata response as the mock cluster writes it: brokers at `host:port`, then the rest.
std::string Metadata(int version, const std::string& host, std::int32_t port,
                     const std::string& rest) {
  Bytes b;
  b.I32(42);                   // correlation id
  if (version >= 3) b.I32(0);  // throttle time
  b.I32(2);                    // two brokers
  for (std::int32_t id : {1, 2}) {
    b.I32(id).Str(host).I32(port + id);
    if (version >= 1) b.Null();  // rack
  }
  b.s += rest;
  return b.s;
}

}  // namespace

TEST_CASE("Metadata responses name the advertised address instead of the mock's", "[devbroker]") {
  const std::string rest = "\x00\x05rest-of-the-response";
  for (int version : {0, 1, 3, 4, 8}) {
    INFO("version " << version);
    const auto in = Metadata(version, "127.0.0.1", 40000, rest);
    const auto out =
        RewriteBrokerAddresses(kMetadata, static_cast<std::int16_t>(version), in, "kafka", 9092);
    Bytes want;
    want.I32(42);
    if (version >= 3) want.I32(0);
    want.I32(2);
    for (std::int32_t id : {1, 2}) {
      want.I32(id).Str("kafka").I32(9092);
      if (version >= 1) want.Null();
    }
    want.s += rest;
    CHECK(out == want.s);
  }
}

TEST_CASE("FindCoordinator responses name the advertised address", "[devbroker]") {
  Bytes v0;
  v0.I32(7).I16(0).I32(1).Str("127.0.0.1").I32(40001);
  Bytes v0_want;
  v0_want.I32(7).I16(0).I32(1).Str("broker.example").I32(29092);
  CHECK(RewriteBrokerAddresses(kFindCoordinator, 0, v0.s, "broker.example", 29092) == v0_want.s);

  Bytes v2;
  v2.I32(7).I32(0).I16(0).Str("ok").I32(1).Str("127.0.0.1").I32(40001);
  Bytes v2_want;
  v2_want.I32(7).I32(0).I16(0).Str("ok").I32(1).Str("kafka").I32(9092);
  CHECK(RewriteBrokerAddresses(kFindCoordinator, 2, v2.s, "kafka", 9092) == v2_want.s);
}

TEST_CASE("Other responses pass unchanged and unreadable ones are refused", "[devbroker]") {
  const std::string produce = "\x00\x00\x00\x09whatever";
  CHECK(RewriteBrokerAddresses(0, 7, produce, "kafka", 9092) == produce);
  const auto md = Metadata(4, "127.0.0.1", 40000, "");
  CHECK_THROWS(RewriteBrokerAddresses(kMetadata, 4, md.substr(0, md.size() - 5), "kafka", 9092));
  CHECK_THROWS(RewriteBrokerAddresses(kMetadata, 9, md, "kafka", 9092));  // flexible encoding
}

TEST_CASE("A listen address is HOST:PORT with an optional advertised address", "[devbroker]") {
  const auto both = ListenSpec::Parse("0.0.0.0:9092=kafka:9092");
  CHECK(both.bind_host == "0.0.0.0");
  CHECK(both.bind_port == 9092);
  CHECK(both.advertised_host == "kafka");
  CHECK(both.advertised_port == 9092);
  const auto plain = ListenSpec::Parse("127.0.0.1:29092");
  CHECK(plain.advertised_host == "127.0.0.1");
  CHECK(plain.advertised_port == 29092);
  for (const auto* bad :
       {"9092", ":9092", "kafka:", "kafka:0", "kafka:70000", "a:1=b", "a:1=b:x"}) {
    INFO(bad);
    CHECK_THROWS_WITH(ListenSpec::Parse(bad), Catch::Contains(bad));
  }
}
