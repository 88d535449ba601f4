#include "saga/completion/saga_rules.hpp"

#include <cctype>

#include "saga/contracts/envelope.hpp"

namespace saga::completion {

Outcome Decide(const std::vector<Step>& steps) {
  const Step* payment_failed = nullptr;
  bool released = false;
  for (const auto& s : steps) {
    if (s.event_type == contracts::topics::kPaymentCompleted) return {"COMPLETED", std::nullopt};
    if (s.event_type == contracts::topics::kStockRejected) return {"CANCELLED", s.reason};
    if (s.event_type == contracts::topics::kPaymentFailed) payment_failed = &s;
    if (s.event_type == contracts::topics::kStockReleased) released = true;
  }
  if (payment_failed != nullptr && released) return {"CANCELLED", payment_failed->reason};
  return {"PENDING", std::nullopt};
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


}  // namespace saga::completion
