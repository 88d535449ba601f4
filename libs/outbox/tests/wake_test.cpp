// The relay's wake-up hints over real UDP on loopback.
#include <catch2/catch.hpp>

#include "saga/config/env.hpp"
#include "saga/outbox/wake.hpp"

using saga::outbox::WakeListener;
using saga::outbox::WakeSender;
using namespace std::chrono_literals;

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

TEST_CASE("Hints are off without an address and a malformed one is a configuration error", "[wake]") {
  WakeSender off("", "order_db");
  CHECK_FALSE(off.Enabled());
  off.Notify();  // a no-op
  CHECK_THROWS_AS(WakeSender("no-port", "order_db"), saga::config::ConfigError);
  CHECK_THROWS_WITH(WakeSender("relay:99999", "order_db"), Catch::Contains("relay:99999"));
}

TEST_CASE("Hints sent while no relay listens are lost and the next ones arrive once it does", "[wake]") {
  int port = 0;
  {
    WakeListener gone("127.0.0.1:0");  // a free port, released again: nobody listens there
    port = gone.Port();
  }
  const auto address = "127.0.0.1:" + std::to_string(port);
  WakeSender sender(address, "stock_db");
  for (int i = 0; i < 3; ++i) sender.Notify();  // refused or dropped: no error, no throw
  WakeListener relay(address);                  // the relay starts (again) on that port
  CHECK_FALSE(relay.Receive(50ms).has_value()); // what was sent before is gone
  sender.Notify();
  CHECK(relay.Receive(2000ms) == std::optional<std::string>("stock_db"));
}

TEST_CASE("A wake address that cannot be bound is an error naming it", "[wake]") {
  WakeListener first("127.0.0.1:0");
  const auto taken = "127.0.0.1:" + std::to_string(first.Port());
  CHECK_THROWS_WITH(WakeListener(taken), Catch::Contains(taken));
  CHECK_THROWS_WITH(WakeListener("nonsense"), Catch::Contains("nonsense"));
}
