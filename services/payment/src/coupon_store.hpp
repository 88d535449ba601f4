#pragma once

// payment's repository for coupons: campaigns and the coupons issued from them. Its SQL is in
// sql.hpp.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "saga/db/pool.hpp"
#include "saga/payment/coupon_rules.hpp"

namespace saga::payment::store {

struct StoredCampaign {
  Campaign campaign;
  std::int64_t issued = 0;
};

/// Why a coupon was not issued: COUPON_NOT_FOUND, COUPON_NOT_ACTIVE, COUPON_SOLD_OUT or
/// COUPON_ALREADY_ISSUED. Thrown inside the transaction, so nothing of the attempt stays.
class IssueRefused : public std::runtime_error {
 public:
  IssueRefused(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& Code() const { return code_; }

 private:
  std::string code_;
};

/// The new quantity is below the coupons already issued; nothing changed.
class QuantityBelowIssued : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct IssuedCoupon {
  std::string issued_at;  ///< ISO-8601
  std::int64_t remaining = 0;
};

struct UserCoupon {
  StoredCampaign campaign;
  std::string issued_at;
  std::optional<std::string> used_by_order_id;
  std::optional<std::string> used_at;
};

/// Creates the campaign (true) or replaces its terms, keeping what was issued (false).
bool PutCampaign(db::Transaction& tx, const Campaign& campaign);
std::optional<StoredCampaign> GetCampaign(db::Transaction& tx, const std::string& coupon_id);
/// Issues one coupon of the campaign to the user, or throws IssueRefused.
IssuedCoupon Issue(db::Transaction& tx, const std::string& coupon_id, std::int64_t user_id);
/// The user's coupons in the order they were issued (at most 1000).
std::vector<UserCoupon> UserCoupons(db::Transaction& tx, std::int64_t user_id);

}  // namespace saga::payment::store
