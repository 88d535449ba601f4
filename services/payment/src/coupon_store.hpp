#pragma once

// payment's repository for coupons: campaigns and the coupons issued from them. Its SQL is in
// sql.hpp.

#include <cppconn/resultset.h>

#include <cstdint>
#include <functional>
#include <utility>
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


/// The new quantity is below the coupons already issued; nothing changed.
class QuantityBelowIssued : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One POST /coupons/{couponId}/issue.
struct IssueRequest {
  std::string coupon_id;
  std::int64_t user_id = 0;
};

/// Its answer: the coupon (issued_at, ISO-8601, and what remained after it), or why none was
/// issued (`refusal`: COUPON_NOT_FOUND, COUPON_NOT_ACTIVE, COUPON_SOLD_OUT, COUPON_ALREADY_ISSUED).
struct IssueOutcome {
  std::string issued_at;
  std::int64_t remaining = 0;
  std::string refusal;
  std::string message;
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
/// Issues coupons first come, first served, for a batch of requests in arrival order (group
/// commit, db::GroupCommit): each campaign's row is locked once (ascending coupon id), the users
/// who hold one already are read, and the first requests of new users get what remains, in one
/// multi-row INSERT and one UPDATE of `issued`. A repeat of a user (in the batch too) is
/// COUPON_ALREADY_ISSUED; a request past the quantity COUPON_SOLD_OUT.
std::vector<IssueOutcome> IssueMany(db::Transaction& tx, const std::vector<const IssueRequest*>& requests);

/// Runs head + "(?, ?)" per pair + tail over (couponId, userId) pairs, calling on_row for each row.
void QueryCouponPairs(db::Connection& conn, const char* head, const char* tail,
                      const std::vector<std::pair<std::string, std::int64_t>>& pairs,
                      const std::function<void(::sql::ResultSet&)>& on_row);
/// The user's coupons in the order they were issued (at most 1000).
std::vector<UserCoupon> UserCoupons(db::Transaction& tx, std::int64_t user_id);

}  // namespace saga::payment::store
