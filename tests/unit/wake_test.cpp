// The relay's wake-up hints over real UDP on loopback.
#include <catch2/catch.hpp>

#include "saga/outbox/wake.hpp"

using saga::outbox::SplitHostPort;
using saga::outbox::WakeListener;
using saga::outbox::WakeSender;
using namespace std::chrono_literals;

TEST_CASE("SplitHostPort reads host and port and rejects anything else", "[wake]") {
  CHECK(SplitHostPort("127.0.0.1:8084") == std::pair<std::string, std::string>{"127.0.0.1", "8084"});
  CHECK(SplitHostPort("relay:8084") == std::pair<std::string, std::string>{"relay", "8084"});
  CHECK(SplitHostPort("[::1]:9") == std::pair<std::string, std::string>{"::1", "9"});
  CHECK(SplitHostPort(":8084") == std::pair<std::string, std::string>{"", "8084"});
  CHECK_THROWS_AS(SplitHostPort("relay"), std::invalid_argument);
  CHECK_THROWS_AS(SplitHostPort("relay:"), std::invalid_argument);
  CHECK_THROWS_AS(SplitHostPort("relay:80x"), std::invalid_argument);
  CHECK_THROWS_AS(SplitHostPort("relay:70000"), std::invalid_argument);
}

TEST_CASE("A hint sent to the listener address arrives as the schema name", "[wake]") {
  WakeListener listener("127.0.0.1:0");
  REQUIRE(listener.Port() > 0);
  CHECK_FALSE(listener.Receive(10ms).has_value());  // nothing sent yet

  WakeSender order("127.0.0.1:" + std::to_string(listener.Port()), "order_db");
  WakeSender stock("127.0.0.1:" + std::to_string(listener.Port()), "stock_db");
  CHECK(order.Enabled());
  order.Notify();
  stock.Notify();
  CHECK(listener.Receive(2000ms) == std::optional<std::string>("order_db"));
  CHECK(listener.Receive(2000ms) == std::optional<std::string>("stock_db"));
  CHECK_FALSE(listener.Receive(10ms).has_value());
}

TEST_CASE("Hints are off without an address and never fail the sender", "[wake]") {
  WakeSender off("", "order_db");
  CHECK_FALSE(off.Enabled());
  off.Notify();  // a no-op
  // Nobody listens on this port (it was bound and released): the datagram is lost, no error.
  int port = 0;
  {
    WakeListener gone("127.0.0.1:0");
    port = gone.Port();
  }
  WakeSender lost("127.0.0.1:" + std::to_string(port), "order_db");
  for (int i = 0; i < 3; ++i) lost.Notify();
  // A host that does not resolve: also only lost hints.
  WakeSender unknown("no-such-host.invalid:8084", "order_db");
  unknown.Notify();
  CHECK_THROWS_AS(WakeSender("no-port", "order_db"), std::invalid_argument);
}

TEST_CASE("A wake address that cannot be bound is an error naming it", "[wake]") {
  WakeListener first("127.0.0.1:0");
  const auto taken = "127.0.0.1:" + std::to_string(first.Port());
  CHECK_THROWS_WITH(WakeListener(taken), Catch::Contains(taken));
  CHECK_THROWS_WITH(WakeListener("nonsense"), Catch::Contains("nonsense"));
}
