#include "saga/contracts/saga.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include "saga/contracts/envelope.hpp"
#include "saga/contracts/ids.hpp"

namespace saga::contracts {
namespace {

using K = Field::Kind;
using P = Participant;

constexpr std::string_view kStockReasons[] = {"OUT_OF_STOCK", "UNKNOWN_PRODUCT", "AMOUNT_OUT_OF_RANGE"};
constexpr std::string_view kPaymentReasons[] = {"INSUFFICIENT_BALANCE", "UNKNOWN_USER",
                                                "COUPON_NOT_ISSUED", "COUPON_ALREADY_USED",
                                                "COUPON_EXPIRED"};
constexpr std::string_view kAbortReasons[] = {"TIMED_OUT"};
constexpr std::string_view kCancelReasons[] = {"OUT_OF_STOCK",        "UNKNOWN_PRODUCT",
                                               "AMOUNT_OUT_OF_RANGE", "INSUFFICIENT_BALANCE",
                                               "UNKNOWN_USER",        "COUPON_NOT_ISSUED",
                                               "COUPON_ALREADY_USED", "COUPON_EXPIRED",
                                               "TIMED_OUT"};
constexpr std::int64_t kMaxItems = 50;

constexpr Field kOrderItem[] = {
    {.name = "productId", .kind = K::kInteger, .min = 1},
    {.name = "quantity", .kind = K::kInteger, .min = 1, .max = kMaxQuantity},
};
constexpr Field kPricedItem[] = {
    {.name = "productId", .kind = K::kInteger, .min = 1},
    {.name = "quantity", .kind = K::kInteger, .min = 1, .max = kMaxQuantity},
    {.name = "unitPrice", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
};
constexpr Field kReleasedItem[] = {
    {.name = "productId", .kind = K::kInteger, .min = 1},
    {.name = "quantity", .kind = K::kInteger, .min = 1, .max = kMaxQuantity},
};

// stock.reserved's total is its items' sum (checked, so a forged or miscomputed total is refused).
void TotalIsSumOfItems(const nlohmann::json& payload) {
  std::int64_t sum = 0;
  for (const auto& item : payload.at("items")) {
    const auto line = MulAmount(item.at("unitPrice").get<std::int64_t>(), item.at("quantity").get<std::int64_t>());
    const auto next = line ? AddAmounts(sum, *line) : std::nullopt;
    if (!next) throw ContractError("stock.reserved payload: field 'items' sums past the money limit");
    sum = *next;
  }
  if (payload.at("totalAmount").get<std::int64_t>() != sum) {
    throw ContractError("stock.reserved payload: field 'totalAmount' is not the sum of its items (" +
                        std::to_string(sum) + ")");
  }
}

// Only a coupon gives a discount.
void DiscountOnlyWithCoupon(std::string_view type, const nlohmann::json& payload) {
  if (payload.at("discount").get<std::int64_t>() > 0 && !payload.contains("couponId")) {
    throw ContractError(std::string(type) + " payload: field 'discount' is above 0 without a couponId");
  }
}
void PaymentDiscountOnlyWithCoupon(const nlohmann::json& p) { DiscountOnlyWithCoupon("payment.completed", p); }
void OrderDiscountOnlyWithCoupon(const nlohmann::json& p) { DiscountOnlyWithCoupon("order.completed", p); }

// A coupon id names a campaign (the order's user's coupon of it is the one used).
constexpr Field kCouponId = {.name = "couponId", .kind = K::kString, .required = false, .min = 1, .max = 64};

constexpr Field kOrderCreated[] = {
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "items", .kind = K::kObjects, .min = 1, .max = kMaxItems, .fields = kOrderItem},
    kCouponId,
};
constexpr Field kStockReserved[] = {
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "items", .kind = K::kObjects, .min = 1, .max = kMaxItems, .fields = kPricedItem},
    {.name = "totalAmount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    kCouponId,
};
constexpr Field kStockRejected[] = {
    {.name = "reason", .kind = K::kEnum, .values = kStockReasons},
    {.name = "productId", .kind = K::kInteger, .required = false, .min = 1},
};
constexpr Field kPaymentCompleted[] = {
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "amount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    {.name = "discount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    {.name = "paymentId", .kind = K::kUuid},
    kCouponId,
};
constexpr Field kPaymentFailed[] = {
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "amount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    {.name = "reason", .kind = K::kEnum, .values = kPaymentReasons},
    kCouponId,
};
constexpr Field kStockReleased[] = {
    {.name = "items", .kind = K::kObjects, .min = 1, .max = kMaxItems, .fields = kReleasedItem},
};
constexpr Field kOrderCompleted[] = {
    {.name = "amount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    {.name = "discount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    kCouponId,
};
constexpr Field kOrderCancelled[] = {
    {.name = "reason", .kind = K::kEnum, .values = kCancelReasons},
};
// The abort (docs/adr/0017): the order as placed travels with it, so that a participant that never
// saw the order still locks what the order would have touched (its products, its user's account).
constexpr Field kSagaExpired[] = {
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "items", .kind = K::kObjects, .min = 1, .max = kMaxItems, .fields = kOrderItem},
    kCouponId,
    {.name = "attempt", .kind = K::kInteger, .min = 1},
};
constexpr Field kSagaAborted[] = {
    {.name = "reason", .kind = K::kEnum, .values = kAbortReasons},
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "items", .kind = K::kObjects, .min = 1, .max = kMaxItems, .fields = kOrderItem},
    kCouponId,
};
constexpr Field kStockAborted[] = {
    {.name = "items", .kind = K::kObjects, .min = 0, .max = kMaxItems, .fields = kReleasedItem},
};
constexpr Field kPaymentRefunded[] = {
    {.name = "userId", .kind = K::kInteger, .min = 1},
    {.name = "amount", .kind = K::kInteger, .min = 0, .max = kMaxAmount},
    {.name = "paymentId", .kind = K::kUuid, .required = false},
    kCouponId,
};

constexpr P kToStockAndCompletion[] = {P::kProductStock, P::kCompletion};
constexpr P kToPaymentAndCompletion[] = {P::kPayment, P::kCompletion};
constexpr P kToCompletion[] = {P::kCompletion};
constexpr P kToOrder[] = {P::kOrder};
constexpr P kToStockAndPayment[] = {P::kProductStock, P::kPayment};

constexpr EventType kEvents[] = {
    {"order.created", P::kOrder, kToStockAndCompletion, kOrderCreated,
     "an order was placed (POST /orders)"},
    {"stock.reserved", P::kProductStock, kToPaymentAndCompletion, kStockReserved,
     "every item is reserved, with its price", TotalIsSumOfItems,
     "totalAmount is the sum of quantity x unitPrice over items"},
    {"stock.rejected", P::kProductStock, kToCompletion, kStockRejected,
     "nothing was reserved: a product is unknown or short"},
    {"payment.completed", P::kPayment, kToCompletion, kPaymentCompleted,
     "the user was debited the total minus the coupon's discount, and the coupon is used",
     PaymentDiscountOnlyWithCoupon, "discount is 0 without a couponId; amount + discount is the order's total"},
    {"payment.failed", P::kPayment, kToStockAndCompletion, kPaymentFailed,
     "the debit was refused (balance, user or coupon); nothing debited, no coupon used"},
    {"stock.released", P::kProductStock, kToCompletion, kStockReleased,
     "the reservation was given back (compensation of stock.reserved)"},
    {"order.completed", P::kCompletion, kToOrder, kOrderCompleted,
     "the saga ended COMPLETED, with what was debited and the discount", OrderDiscountOnlyWithCoupon,
     "discount is 0 without a couponId"},
    {"order.cancelled", P::kCompletion, kToOrder, kOrderCancelled,
     "the saga ended CANCELLED, with its reason"},
    {"saga.expired", P::kOrder, kToCompletion, kSagaExpired,
     "the order is still PENDING past its deadline (sent again at each later deadline until it is final)"},
    {"saga.aborted", P::kCompletion, kToStockAndPayment, kSagaAborted,
     "completion aborts the open saga: each participant undoes its step, refuses later ones, confirms"},
    {"stock.aborted", P::kProductStock, kToCompletion, kStockAborted,
     "the order is aborted at product-stock: its reservation (items, maybe none) is given back"},
    {"payment.refunded", P::kPayment, kToCompletion, kPaymentRefunded,
     "the order is aborted at payment: its debit (amount, 0 if none) and coupon are given back"},
};

// An outcome needs every step of its path before it is final, so that a final saga's timeline is
// complete; the steps are causally guaranteed to come.
constexpr std::string_view kCompletedNeeds[] = {"order.created", "stock.reserved",
                                                   "payment.completed"};
constexpr std::string_view kRejectedNeeds[] = {"order.created", "stock.rejected"};
constexpr std::string_view kRefusedNeeds[] = {"order.created", "stock.reserved", "payment.failed",
                                                 "stock.released"};
// Aborted: every participant confirmed. order.created may never have arrived (a lost message is why
// sagas expire), so it is not needed.
constexpr std::string_view kAbortedNeeds[] = {"saga.aborted", "stock.aborted", "payment.refunded"};

// Once saga.aborted is recorded, only the aborted outcome can be reached: a late success loses to
// the abort, whose participants undo it (docs/adr/0017).
constexpr Outcome kOutcomes[] = {
    {.status = "COMPLETED",
     .needs = kCompletedNeeds,
     .announced_by = "order.completed",
     .unless = "saga.aborted"},
    {.status = "CANCELLED",
     .needs = kRejectedNeeds,
     .reason_from = "stock.rejected",
     .announced_by = "order.cancelled",
     .unless = "saga.aborted"},
    {.status = "CANCELLED",
     .needs = kRefusedNeeds,
     .reason_from = "payment.failed",
     .compensation = "stock.released",
     .announced_by = "order.cancelled",
     .unless = "saga.aborted"},
    {.status = "CANCELLED",
     .needs = kAbortedNeeds,
     .reason_from = "saga.aborted",
     .announced_by = "order.cancelled"},
};

constexpr Declaration kSaga{kEvents, kOutcomes};

std::vector<std::string> Strings(std::span<const std::string_view> values) {
  return {values.begin(), values.end()};
}

// The saga's timeline for an outcome: its steps, then the event that announces it.
std::vector<std::string> Path(const Outcome& o) {
  auto path = Strings(o.needs);
  path.emplace_back(o.announced_by);
  return path;
}

std::string Where(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

void CheckObject(std::span<const Field> fields, const nlohmann::json& j, const std::string& path,
                 std::string_view type);

void CheckField(const Field& f, const nlohmann::json& v, const std::string& where,
                std::string_view type) {
  const auto fail = [&](const std::string& what) {
    throw ContractError(std::string(type) + " payload: field '" + where + "' " + what);
  };
  switch (f.kind) {
    case K::kInteger: {
      if (!v.is_number_integer()) fail("must be an integer");
      // Unsigned values above INT64_MAX are out of every declared range.
      if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(f.max)) {
        fail("is out of range");
      }
      const auto n = v.get<std::int64_t>();
      if (n < f.min || n > f.max) {
        fail("must be in " + std::to_string(f.min) + ".." +
             (f.max == Field::kNoMax ? std::string() : std::to_string(f.max)));
      }
      break;
    }
    case K::kString: {
      if (!v.is_string()) fail("must be a string");
      const auto len = static_cast<std::int64_t>(v.get_ref<const std::string&>().size());
      if (len < f.min || len > f.max) fail("has a length out of its range");
      break;
    }
    case K::kUuid: {
      if (!v.is_string() || !IsLowercaseUuid(v.get<std::string>()))
        fail("must be a lowercase UUID");
      break;
    }
    case K::kEnum: {
      if (!v.is_string()) fail("must be a string");
      const auto& s = v.get_ref<const std::string&>();
      if (std::find(f.values.begin(), f.values.end(), s) == f.values.end()) {
        fail("'" + s + "' is not one of its values");
      }
      break;
    }
    case K::kObjects: {
      if (!v.is_array()) fail("must be an array");
      const auto n = static_cast<std::int64_t>(v.size());
      if (n < f.min || n > f.max) fail("has " + std::to_string(n) + " items, out of its range");
      for (std::size_t i = 0; i < v.size(); ++i) {
        CheckObject(f.fields, v[i], where + "[" + std::to_string(i) + "]", type);
      }
      break;
    }
  }
}

void CheckObject(std::span<const Field> fields, const nlohmann::json& j, const std::string& path,
                 std::string_view type) {
  if (!j.is_object()) {
    throw ContractError(std::string(type) + " payload: " +
                        (path.empty() ? "it" : "'" + path + "'") + " is not an object");
  }
  for (const auto& [key, value] : j.items()) {
    const bool declared =
        std::any_of(fields.begin(), fields.end(), [&](const Field& f) { return f.name == key; });
    if (!declared) {
      throw ContractError(std::string(type) + " payload: field '" + Where(path, key) +
                          "' is not declared");
    }
  }
  for (const auto& f : fields) {
    const auto it = j.find(std::string(f.name));
    if (it == j.end()) {
      if (f.required) {
        throw ContractError(std::string(type) + " payload: field '" + Where(path, f.name) +
                            "' is missing");
      }
      continue;
    }
    CheckField(f, *it, Where(path, f.name), type);
  }
}

nlohmann::json ObjectSchema(std::span<const Field> fields) {
  nlohmann::json schema{{"type", "object"}, {"additionalProperties", false}};
  auto required = nlohmann::json::array();
  auto properties = nlohmann::json::object();
  for (const auto& f : fields) {
    if (f.required) required.push_back(f.name);
    nlohmann::json p;
    switch (f.kind) {
      case K::kInteger:
        p = {{"type", "integer"}, {"minimum", f.min}};
        if (f.max != Field::kNoMax) p["maximum"] = f.max;
        break;
      case K::kString:
        p = {{"type", "string"}, {"minLength", f.min}};
        if (f.max != Field::kNoMax) p["maxLength"] = f.max;
        break;
      case K::kUuid:
        p = {{"type", "string"},
             {"pattern", "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}};
        break;
      case K::kEnum:
        p = {{"enum", Strings(f.values)}};
        break;
      case K::kObjects:
        p = {{"type", "array"}, {"minItems", f.min}, {"items", ObjectSchema(f.fields)}};
        if (f.max != Field::kNoMax) p["maxItems"] = f.max;
        break;
    }
    properties[std::string(f.name)] = std::move(p);
  }
  if (!required.empty()) schema["required"] = std::move(required);
  schema["properties"] = std::move(properties);
  return schema;
}

}  // namespace

std::string_view Name(Participant p) {
  switch (p) {
    case P::kOrder:
      return "order";
    case P::kProductStock:
      return "product-stock";
    case P::kPayment:
      return "payment";
    case P::kCompletion:
      return "completion";
  }
  return "?";
}

const EventType* Declaration::Find(std::string_view name) const {
  const auto it = std::find_if(events.begin(), events.end(),
                               [&](const EventType& e) { return e.name == name; });
  return it == events.end() ? nullptr : &*it;
}

const EventType& Declaration::Get(std::string_view name) const {
  const auto* e = Find(name);
  if (e == nullptr) throw ContractError("event type '" + std::string(name) + "' is not declared");
  return *e;
}

std::vector<std::string> Declaration::Topics() const {
  std::vector<std::string> out;
  for (const auto& e : events) out.emplace_back(e.name);
  return out;
}

std::vector<std::string> Declaration::BrokerTopics() const {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.emplace_back(e.name);
    out.push_back(std::string(e.name) + ".dlq");
  }
  return out;
}

std::vector<std::string> Declaration::ConsumedBy(Participant p) const {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (std::find(e.consumers.begin(), e.consumers.end(), p) != e.consumers.end()) {
      out.emplace_back(e.name);
    }
  }
  return out;
}

std::vector<std::string> Declaration::Reasons() const {
  std::vector<std::string> out;
  for (const auto& o : outcomes) {
    if (o.reason_from.empty()) continue;
    for (const auto& f : Get(o.reason_from).payload) {
      if (f.name != "reason") continue;
      for (const auto& v : f.values) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.emplace_back(v);
      }
    }
  }
  return out;
}

const Declaration& Saga() { return kSaga; }

void CheckPayload(const EventType& type, const nlohmann::json& payload) {
  CheckObject(type.payload, payload, "", type.name);
  if (type.rule != nullptr) type.rule(payload);
}

void CheckOutgoing(const Envelope& event) {
  try {
    event.CheckFields();
    CheckPayload(Saga().Get(event.event_type), event.payload);
  } catch (const ContractError& e) {
    throw ContractError("refusing to publish " + event.event_type + " breaking its contract: " + e.what());
  }
}

std::optional<std::int64_t> AddAmounts(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &sum) || sum > kMaxAmount) return std::nullopt;
  return sum;
}

std::optional<std::int64_t> MulAmount(std::int64_t unit, std::int64_t quantity) {
  std::int64_t product = 0;
  if (unit < 0 || quantity < 0 || __builtin_mul_overflow(unit, quantity, &product) || product > kMaxAmount) {
    return std::nullopt;
  }
  return product;
}

nlohmann::json PayloadSchema(const EventType& type) { return ObjectSchema(type.payload); }

nlohmann::json ToJson(const Declaration& d) {
  auto events = nlohmann::json::array();
  for (const auto& e : d.events) {
    auto consumers = nlohmann::json::array();
    for (const auto c : e.consumers) consumers.push_back(Name(c));
    events.push_back({{"name", e.name},
                      {"topic", e.name},
                      {"producer", Name(e.producer)},
                      {"consumers", std::move(consumers)},
                      {"schema", PayloadSchema(e)},
                      {"rule", e.rule_text},
                      {"meaning", e.meaning}});
  }
  auto outcomes = nlohmann::json::array();
  for (const auto& o : d.outcomes) {
    outcomes.push_back({{"status", o.status},
                        {"needs", Strings(o.needs)},
                        {"reasonFrom", o.reason_from},
                        {"path", Path(o)},
                        {"compensation", o.compensation},
                        {"announcedBy", o.announced_by},
                        {"unless", o.unless}});
  }
  return {{"events", std::move(events)},
          {"outcomes", std::move(outcomes)},
          {"reasons", d.Reasons()},
          {"brokerTopics", d.BrokerTopics()}};
}

namespace {

// "{userId, items[{productId, quantity}], couponId?}"
std::string Summary(std::span<const Field> fields) {
  std::string out = "{";
  for (const auto& f : fields) {
    if (out.size() > 1) out += ", ";
    out += f.name;
    if (f.kind == K::kObjects) out.append("[").append(Summary(f.fields)).append("]");
    if (f.kind == K::kEnum) {
      out += " ";
      for (std::size_t i = 0; i < f.values.size(); ++i)
        out.append(i ? "|" : "").append(f.values[i]);
    }
    if (!f.required) out += "?";
  }
  return out + "}";
}

}  // namespace

std::string FlowPicture(const Declaration& d) {
  std::ostringstream out;
  std::size_t width = 0;
  for (const auto& e : d.events) width = std::max(width, e.name.size() + 2);
  const std::string pad(width + 1, ' ');
  for (const auto& e : d.events) {
    std::string consumers;
    for (const auto c : e.consumers)
      consumers.append(consumers.empty() ? "" : ", ").append(Name(c));
    std::string label = "[";
    label.append(e.name).append("]");
    out << label << std::string(width + 1 - label.size(), ' ') << Name(e.producer) << " --> "
        << consumers << "\n"
        << pad << e.meaning << "\n"
        << pad << Summary(e.payload) << "\n";
  }
  for (const auto& o : d.outcomes) {
    out << o.status;
    if (!o.reason_from.empty()) out << " (the reason of " << o.reason_from << ")";
    out << " once ";
    for (std::size_t i = 0; i < o.needs.size(); ++i) out << (i ? " + " : "") << o.needs[i];
    out << " recorded";
    if (!o.unless.empty()) out << ", unless " << o.unless << " is";
    if (!o.compensation.empty()) out << " (" << o.compensation << " is the compensation)";
    out << "; announced by " << o.announced_by << "\n";
  }
  return out.str();
}

}  // namespace saga::contracts
