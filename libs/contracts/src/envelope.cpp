#include "saga/contracts/envelope.hpp"

#include "saga/contracts/ids.hpp"
#include "saga/contracts/json.hpp"

namespace saga::contracts {

Envelope Envelope::New(std::string event_type, std::string order_id, nlohmann::json payload,
                       std::optional<std::string> causation_id) {
  Envelope e;
  e.event_id = NewUuid();
  e.event_type = std::move(event_type);
  e.order_id = std::move(order_id);
  e.occurred_at = NowIso8601();
  e.causation_id = std::move(causation_id);
  e.payload = std::move(payload);
  return e;
}

void to_json(nlohmann::json& j, const Envelope& e) {
  j = nlohmann::json{{"eventId", e.event_id},         {"eventType", e.event_type},
                     {"schemaVersion", e.schema_version}, {"orderId", e.order_id},
                     {"occurredAt", e.occurred_at},   {"payload", e.payload}};
  if (e.causation_id) j["causationId"] = *e.causation_id;
}

void from_json(const nlohmann::json& j, Envelope& e) {
  if (!j.is_object()) throw ContractError("envelope is not a JSON object");
  auto str = [&](const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      throw ContractError(std::string("envelope field '") + key + "' must be a non-empty string");
    }
    return it->get<std::string>();
  };
  for (const auto& [key, _] : j.items()) {
    if (key != "eventId" && key != "eventType" && key != "schemaVersion" && key != "orderId" &&
        key != "occurredAt" && key != "causationId" && key != "payload") {
      throw ContractError("envelope field '" + key + "' is not declared");
    }
  }
  e.event_id = str("eventId");
  e.event_type = str("eventType");
  e.order_id = str("orderId");
  e.occurred_at = str("occurredAt");
  const auto sv = j.find("schemaVersion");
  if (sv == j.end() || !sv->is_number_integer() || sv->get<int>() < 1) {
    throw ContractError("envelope field 'schemaVersion' must be a positive integer");
  }
  e.schema_version = sv->get<int>();
  const auto c = j.find("causationId");
  if (c != j.end() && !c->is_null()) {
    if (!c->is_string()) throw ContractError("envelope field 'causationId' must be a lowercase UUID");
    e.causation_id = c->get<std::string>();
  } else {
    e.causation_id.reset();
  }
  const auto p = j.find("payload");
  if (p == j.end() || !p->is_object()) {
    throw ContractError("envelope field 'payload' must be an object");
  }
  e.payload = *p;
  e.CheckFields();
}

void Envelope::CheckFields() const {
  if (!IsLowercaseUuid(event_id)) throw ContractError("envelope field 'eventId' must be a lowercase UUID");
  if (order_id.empty() || order_id.size() > kMaxOrderIdLength) {
    throw ContractError("envelope field 'orderId' must be 1 to " + std::to_string(kMaxOrderIdLength) +
                        " characters");
  }
  if (!IsIso8601Millis(occurred_at)) {
    throw ContractError("envelope field 'occurredAt' must be a real instant as yyyy-mm-ddThh:mm:ss.mmmZ");
  }
  if (causation_id && !IsLowercaseUuid(*causation_id)) {
    throw ContractError("envelope field 'causationId' must be a lowercase UUID");
  }
}

Envelope Envelope::Parse(std::string_view json_text) {
  JsonProblem problem;
  const auto j = ParseStrict(json_text, problem);
  if (j.is_null()) throw ContractError("envelope is " + problem.message);
  return j.get<Envelope>();
}

std::string Envelope::Serialize() const { return nlohmann::json(*this).dump(); }

}  // namespace saga::contracts
