#pragma once

#include <future>

#include "saga/order/order_service.hpp"

namespace saga::order::test {

/// What POST /orders does: submits the order and waits for the writer's answer. Throws
/// IdempotencyConflict or the database error that failed it.
template <typename Writer>  // OrderService or OrderWriter
PlaceOrderResult Place(Writer& writer, NewOrder order) {
  std::promise<PlaceOutcome> result;
  auto future = result.get_future();
  writer.Submit(std::move(order),
                [&result](std::optional<PlaceOutcome> outcome, std::exception_ptr error) {
                  if (error) {
                    result.set_exception(error);
                  } else {
                    result.set_value(std::move(*outcome));
                  }
                });
  auto outcome = future.get();
  if (auto* conflict = std::get_if<IdempotencyConflict>(&outcome)) throw *conflict;
  return std::get<PlaceOrderResult>(std::move(outcome));
}

}  // namespace saga::order::test
