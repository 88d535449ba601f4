#include <algorithm>
#include <catch2/catch.hpp>

#include "saga/completion/saga_rules.hpp"
#include "saga/contracts/envelope.hpp"
#include "saga/db/values.hpp"

using namespace saga::completion;

namespace {

/// Feeds `steps` one by one in every possible order; returns the outcomes seen after each.
void ForEveryOrder(std::vector<Step> steps,
                   const std::function<void(const std::vector<Outcome>&, const std::vector<Step>&)>& check) {
  std::sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.event_type < b.event_type; });
  do {
    std::vector<Step> seen;
    std::vector<Outcome> outcomes;
    for (const auto& s : steps) {
      seen.push_back(s);
      outcomes.push_back(Decide(seen));
    }
    check(outcomes, steps);
  } while (std::next_permutation(steps.begin(), steps.end(),
                                 [](const auto& a, const auto& b) { return a.event_type < b.event_type; }));
}

// Whether the steps can belong to one saga: stock is either reserved or rejected, a payment either
// completes or fails, and only a failed payment's stock is released.
bool OneSaga(const std::vector<Step>& steps) {
  auto has = [&](const char* type) {
    return std::any_of(steps.begin(), steps.end(), [&](const Step& s) { return s.event_type == type; });
  };
  return !(has("stock.rejected") && (has("stock.reserved") || has("payment.completed") ||
                                     has("payment.failed") || has("stock.released"))) &&
         !(has("payment.completed") && (has("payment.failed") || has("stock.released")));
}

}  // namespace

TEST_CASE("A paid saga is COMPLETED whatever order its events come in, once all are in", "[completion]") {
  ForEveryOrder({{"order.created", {}}, {"stock.reserved", {}}, {"payment.completed", {}}},
                [](const std::vector<Outcome>& o, const std::vector<Step>&) {
                  for (std::size_t i = 0; i + 1 < o.size(); ++i) CHECK(o[i].status == "PENDING");
                  CHECK(o.back().status == "COMPLETED");
                  CHECK(o.back().announced_by == "order.completed");
                  CHECK_FALSE(o.back().reason.has_value());
                });
}

TEST_CASE("A payment failure is final only with the stock released and every step in", "[completion]") {
  ForEveryOrder({{"order.created", {}}, {"stock.reserved", {}}, {"payment.failed", "INSUFFICIENT_BALANCE"},
                 {"stock.released", {}}},
                [](const std::vector<Outcome>& o, const std::vector<Step>&) {
                  for (std::size_t i = 0; i + 1 < o.size(); ++i) CHECK(o[i].status == "PENDING");
                  CHECK(o.back().status == "CANCELLED");
                  CHECK(o.back().reason == std::optional<std::string>("INSUFFICIENT_BALANCE"));
                });
  CHECK(Decide({{"payment.failed", "UNKNOWN_USER"}}).status == "PENDING");
}

TEST_CASE("A stock rejection cancels with its reason", "[completion]") {
  ForEveryOrder({{"order.created", {}}, {"stock.rejected", "OUT_OF_STOCK"}}, [](const std::vector<Outcome>& o, const std::vector<Step>&) {
    CHECK(o.front().status == "PENDING");
    CHECK(o.back().status == "CANCELLED");
    CHECK(o.back().reason == std::optional<std::string>("OUT_OF_STOCK"));
  });
  CHECK(Decide({{"order.created", {}}}).status == "PENDING");
  CHECK(Decide({}).status == "PENDING");
}

TEST_CASE("Event times convert to and from DATETIME(3) and bad ones are refused", "[completion]") {
  CHECK(ToDbTime("2026-11-21T12:00:00.123Z") == "2026-11-21 12:00:00.123");
  CHECK(saga::db::IsoFromDateTime(ToDbTime("2026-11-21T12:00:00.123Z")) == "2026-11-21T12:00:00.123Z");
  CHECK_THROWS_AS(ToDbTime("2026-11-21 12:00:00"), saga::contracts::ContractError);
  CHECK_THROWS_AS(ToDbTime("yesterday"), saga::contracts::ContractError);
}

TEST_CASE("DATETIME texts become milliseconds since 1970 for saga durations", "[completion]") {
  using saga::completion::DbTimeMillis;
  CHECK(DbTimeMillis("1970-01-01 00:00:01.500") == 1500);
  CHECK(DbTimeMillis("1970-01-02 00:00:00") == 86'400'000);
  CHECK(DbTimeMillis("1970-01-01 00:00:00.5") == 500);          // fewer fraction digits
  CHECK(DbTimeMillis("1970-01-01 00:00:00.123456") == 123);     // DATETIME(6)
  CHECK(DbTimeMillis("2026-03-01 00:00:00.000") - DbTimeMillis("2026-02-28 23:59:59.999") == 1);
  CHECK(DbTimeMillis("2024-03-01 00:00:00") - DbTimeMillis("2024-02-28 00:00:00") == 2 * 86'400'000);
  CHECK(DbTimeMillis(ToDbTime("2026-11-21T12:00:01.250Z")) - DbTimeMillis(ToDbTime("2026-11-21T11:59:59.999Z")) ==
        1251);
  for (const char* bad : {"2026-13-01 00:00:00", "2026-02-30 00:00:00", "2026-11-21T12:00:00.123",
                          "2026-11-21 12:00:00.", "2026-11-21 12:00:0x", "2026-11-21"}) {
    CHECK_THROWS_AS(DbTimeMillis(bad), saga::contracts::ContractError);
  }
}

TEST_CASE("An open saga is decided on one batch alone only when the batch decides it",
          "[completion]") {
  // Every stored set that leaves a saga PENDING, every batch, of one saga (its steps can all
  // happen together): where NeedsHistory says the stored steps are not needed, they must not
  // change the outcome.
  const std::vector<Step> kinds{{"order.created", {}},
                                {"stock.reserved", {}},
                                {"stock.rejected", "OUT_OF_STOCK"},
                                {"payment.completed", {}},
                                {"payment.failed", "UNKNOWN_USER"},
                                {"stock.released", {}}};
  const auto subset = [&](unsigned mask) {
    std::vector<Step> s;
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      if ((mask & (1U << i)) != 0) s.push_back(kinds[i]);
    }
    return s;
  };
  int decided_alone = 0, needing_history = 0;
  for (unsigned stored = 0; stored < (1U << kinds.size()); ++stored) {
    const auto s = subset(stored);
    if (Decide(s).Final()) continue;
    for (unsigned batch = 1; batch < (1U << kinds.size()); ++batch) {
      const auto b = subset(batch);
      auto all = s;
      all.insert(all.end(), b.begin(), b.end());
      if (!OneSaga(all)) continue;
      if (NeedsHistory(b)) {
        ++needing_history;
        continue;
      }
      ++decided_alone;
      const auto alone = Decide(b), whole = Decide(all);
      CHECK(alone.status == whole.status);
      CHECK(alone.reason == whole.reason);
    }
  }
  CHECK(decided_alone > 0);
  CHECK(needing_history > 0);
  CHECK(NeedsHistory({{"payment.failed", "UNKNOWN_USER"}}));
  CHECK(NeedsHistory({{"stock.released", {}}, {"order.created", {}}}));
  CHECK(NeedsHistory({{"payment.failed", "UNKNOWN_USER"}, {"stock.released", {}}}));
  CHECK(NeedsHistory({{"order.created", {}}, {"stock.reserved", {}}}));
  CHECK_FALSE(NeedsHistory({{"order.created", {}}, {"stock.reserved", {}}, {"payment.completed", {}}}));
}
