#include "coupon_store.hpp"

#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <map>
#include <memory>
#include <set>

#include "saga/db/error.hpp"
#include "saga/db/rows.hpp"
#include "saga/db/values.hpp"
#include "sql.hpp"

namespace saga::payment::store {
namespace {

std::optional<std::string> OptionalInstant(::sql::ResultSet& rs, int column) {
  auto text = db::OptionalString(rs, column);
  if (text) text = db::IsoFromDateTime(*text);
  return text;
}

// A campaign from the columns of kGetCampaign, starting at `first`.
StoredCampaign ReadCampaign(::sql::ResultSet& rs, int first) {
  StoredCampaign s;
  auto& c = s.campaign;
  c.coupon_id = rs.getString(first).asStdString();
  c.name = rs.getString(first + 1).asStdString();
  c.discount_type = rs.getString(first + 2).asStdString() == "PERCENT" ? DiscountType::kPercent : DiscountType::kAmount;
  c.discount_value = rs.getInt64(first + 3);
  c.max_discount = db::OptionalInt(rs, first + 4);
  c.quantity = rs.getInt64(first + 5);
  s.issued = rs.getInt64(first + 6);
  c.valid_from = OptionalInstant(rs, first + 7);
  c.valid_until = OptionalInstant(rs, first + 8);
  return s;
}

// 2026-01-31T23:59:59.000Z as MySQL DATETIME text.
std::optional<std::string> DateTimeOf(const std::optional<std::string>& iso) {
  if (!iso) return std::nullopt;
  auto text = iso->substr(0, iso->size() - 1);
  text[10] = ' ';
  return text;
}

// The campaign's terms as parameters 1..7 and its id as 8, as kInsertCampaign and kUpdateCampaign
// both take them.
void BindCampaign(::sql::PreparedStatement& st, const Campaign& c) {
  st.setString(1, c.name);
  st.setString(2, std::string(ToString(c.discount_type)));
  st.setInt64(3, c.discount_value);
  db::BindOptional(st, 4, c.max_discount);
  st.setInt64(5, c.quantity);
  db::BindOptional(st, 6, DateTimeOf(c.valid_from));
  db::BindOptional(st, 7, DateTimeOf(c.valid_until));
  st.setString(8, c.coupon_id);
}

}  // namespace

bool PutCampaign(db::Transaction& tx, const Campaign& c) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    std::optional<std::int64_t> issued;
    {
      auto& st = conn.Prepare(sql::kLockCampaignIssued);
      st.setString(1, c.coupon_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (rs->next()) issued = rs->getInt64(1);
    }
    if (!issued) {
      auto& st = conn.Prepare(sql::kInsertCampaign);
      BindCampaign(st, c);
      st.executeUpdate();
      return true;
    }
    if (c.quantity < *issued) {
      throw QuantityBelowIssued("quantity " + std::to_string(c.quantity) + " is below the " +
                                std::to_string(*issued) + " coupons already issued");
    }
    auto& st = conn.Prepare(sql::kUpdateCampaign);
    BindCampaign(st, c);
    st.executeUpdate();
    return false;
  });
}

std::optional<StoredCampaign> GetCampaign(db::Transaction& tx, const std::string& coupon_id) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&]() -> std::optional<StoredCampaign> {
    auto& st = conn.Prepare(sql::kGetCampaign);
    st.setString(1, coupon_id);
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    if (!rs->next()) return std::nullopt;
    return ReadCampaign(*rs, 1);
  });
}

void QueryCouponPairs(db::Connection& conn, const char* head, const char* tail,
                      const std::vector<std::pair<std::string, std::int64_t>>& pairs,
                      const std::function<void(::sql::ResultSet&)>& on_row) {
  std::size_t at = 0;
  for (const auto k : db::ChunkSizes(pairs.size())) {
    auto& st = conn.Prepare(db::RepeatRows(head, "(?, ?)", k, tail));
    for (std::size_t i = 0; i < k; ++i) {
      st.setString(static_cast<int>(2 * i + 1), pairs[at + i].first);
      st.setInt64(static_cast<int>(2 * i + 2), pairs[at + i].second);
    }
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    while (rs->next()) on_row(*rs);
    at += k;
  }
}

std::vector<IssueOutcome> IssueMany(db::Transaction& tx, const std::vector<const IssueRequest*>& requests) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    std::vector<IssueOutcome> out(requests.size());
    std::map<std::string, std::vector<std::size_t>> by_campaign;  // ascending: the lock order
    for (std::size_t i = 0; i < requests.size(); ++i) by_campaign[requests[i]->coupon_id].push_back(i);
    for (const auto& [coupon_id, indexes] : by_campaign) {
      const auto refuse_all = [&](const char* code, const std::string& message) {
        for (const auto i : indexes) out[i] = {{}, 0, code, message};
      };
      auto& lock = conn.Prepare(sql::kLockCampaignForIssue);
      lock.setString(1, coupon_id);
      std::unique_ptr<::sql::ResultSet> rs(lock.executeQuery());
      if (!rs->next()) {
        refuse_all("COUPON_NOT_FOUND", "no coupon campaign " + coupon_id);
        continue;
      }
      if (!rs->getBoolean(2)) {
        refuse_all("COUPON_NOT_ACTIVE", "coupon " + coupon_id + " is not valid now");
        continue;
      }
      auto remaining = rs->getInt64(1);
      const auto now = rs->getString(3).asStdString();
      std::vector<std::pair<std::string, std::int64_t>> asking;
      for (const auto i : indexes) asking.emplace_back(coupon_id, requests[i]->user_id);
      std::set<std::int64_t> holders;
      QueryCouponPairs(conn, sql::kHeldCouponsHead, ")", asking,
                       [&](::sql::ResultSet& row) { holders.insert(row.getInt64(1)); });
      std::vector<std::int64_t> granted;
      for (const auto i : indexes) {
        const auto user = requests[i]->user_id;
        if (!holders.insert(user).second) {
          out[i] = {{}, 0, "COUPON_ALREADY_ISSUED",
                    "user " + std::to_string(user) + " already has a coupon of " + coupon_id};
        } else if (remaining == 0) {
          out[i] = {{}, 0, "COUPON_SOLD_OUT", "every coupon of " + coupon_id + " is issued"};
        } else {
          out[i] = {db::IsoFromDateTime(now), --remaining, {}, {}};
          granted.push_back(user);
        }
      }
      if (granted.empty()) continue;
      db::ExecuteRows(conn, sql::kInsertCouponsHead, sql::kInsertCouponsRow, granted.size(),
                      [&](::sql::PreparedStatement& st, std::size_t i, int p) {
                        st.setString(p, coupon_id);
                        st.setInt64(p + 1, granted[i]);
                        st.setString(p + 2, now);
                      });
      auto& add = conn.Prepare(sql::kAddIssued);
      add.setInt64(1, static_cast<std::int64_t>(granted.size()));
      add.setString(2, coupon_id);
      add.executeUpdate();
    }
    return out;
  });
}

std::vector<UserCoupon> UserCoupons(db::Transaction& tx, std::int64_t user_id) {
  auto& conn = tx.Conn();
  return db::detail::Translate(&conn, [&] {
    auto& st = conn.Prepare(sql::kUserCoupons);
    st.setInt64(1, user_id);
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    std::vector<UserCoupon> out;
    while (rs->next()) {
      out.push_back({ReadCampaign(*rs, 1), db::IsoFromDateTime(rs->getString(10).asStdString()),
                     db::OptionalString(*rs, 11), OptionalInstant(*rs, 12)});
    }
    return out;
  });
}

}  // namespace saga::payment::store
