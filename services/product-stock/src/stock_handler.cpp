#include "saga/stock/stock_handler.hpp"

#include "stock_store.hpp"

namespace saga::stock {

messaging::Output StockHandler::Handle(const std::vector<StockEvent>& events, db::Transaction& tx) {
  auto decision = Decide(store::Load(tx, events), events);
  store::Save(tx, decision);
  return {std::move(decision.events), {}};
}

}  // namespace saga::stock
