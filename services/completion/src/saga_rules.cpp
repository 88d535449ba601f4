#include "saga/completion/saga_rules.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/saga.hpp"

namespace saga::completion {
namespace {

const Step* Find(const std::vector<Step>& steps, std::string_view type) {
  const auto it = std::find_if(steps.begin(), steps.end(),
                               [&](const Step& s) { return s.event_type == type; });
  return it == steps.end() ? nullptr : &*it;
}

}  // namespace

Outcome Decide(const std::vector<Step>& steps) {
  for (const auto& o : contracts::Saga().outcomes) {
    if (!std::all_of(o.needs.begin(), o.needs.end(),
                     [&](std::string_view r) { return Find(steps, r) != nullptr; })) {
      continue;
    }
    if (!o.unless.empty() && Find(steps, o.unless) != nullptr) continue;
    std::optional<std::string> reason;
    if (!o.reason_from.empty()) reason = Find(steps, o.reason_from)->reason;
    return {std::string(o.status), std::move(reason), std::string(o.announced_by)};
  }
  return {"PENDING", std::nullopt, {}};
}

bool NeedsHistory(const std::vector<Step>& batch) {
  if (Decide(batch).Final()) return false;
  return std::any_of(batch.begin(), batch.end(), [](const Step& s) {
    for (const auto& o : contracts::Saga().outcomes) {
      if (o.needs.size() > 1 &&
          std::find(o.needs.begin(), o.needs.end(), s.event_type) != o.needs.end()) {
        return true;
      }
    }
    return false;
  });
}

std::string ToDbTime(const std::string& iso) {
  // yyyy-mm-ddThh:mm:ss.mmmZ
  static const std::string kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  bool ok = iso.size() == kShape.size();
  for (std::size_t i = 0; ok && i < iso.size(); ++i) {
    ok = kShape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(iso[i])) != 0 : iso[i] == kShape[i];
  }
  if (!ok) throw contracts::ContractError("occurredAt '" + iso + "' is not yyyy-mm-ddThh:mm:ss.mmmZ");
  std::string db = iso.substr(0, iso.size() - 1);
  db[10] = ' ';
  return db;
}

std::int64_t DbTimeMillis(const std::string& t) {
  const auto bad = [&] { return contracts::ContractError("'" + t + "' is not yyyy-mm-dd hh:mm:ss[.fff]"); };
  const auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    if (pos + len > t.size()) throw bad();
    const auto [p, ec] = std::from_chars(t.data() + pos, t.data() + pos + len, v);
    if (ec != std::errc() || p != t.data() + pos + len) throw bad();
    return v;
  };
  if (t.size() < 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' || t[13] != ':' || t[16] != ':') throw bad();
  int millis = 0;
  if (t.size() > 19) {
    if (t[19] != '.' || t.size() == 20 || t.size() > 26) throw bad();
    const auto digits = std::min<std::size_t>(t.size() - 20, 3);
    millis = num(20, digits);
    for (auto d = digits; d < 3; ++d) millis *= 10;
    num(20, t.size() - 20);  // the rest must be digits too
  }
  using namespace std::chrono;
  const year_month_day ymd{year{num(0, 4)}, month{static_cast<unsigned>(num(5, 2))},
                           day{static_cast<unsigned>(num(8, 2))}};
  if (!ymd.ok()) throw bad();
  const auto tp = sys_days{ymd} + hours{num(11, 2)} + minutes{num(14, 2)} + seconds{num(17, 2)} +
                  milliseconds{millis};
  return duration_cast<milliseconds>(tp.time_since_epoch()).count();
}

}  // namespace saga::completion
