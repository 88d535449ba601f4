#include "saga/payment/payment_handler.hpp"

#include "payment_store.hpp"
#include "saga/contracts/ids.hpp"

namespace saga::payment {

messaging::Output PaymentHandler::Handle(const std::vector<PaymentEvent>& events,
                                         db::Transaction& tx) {
  auto decision = Decide(store::Load(tx, events), events, contracts::NewUuid);
  store::Save(tx, decision);
  return {std::move(decision.events), {}};
}

}  // namespace saga::payment
