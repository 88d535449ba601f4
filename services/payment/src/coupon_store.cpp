#include "coupon_store.hpp"

#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "saga/db/error.hpp"
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
    const std::string type(ToString(c.discount_type));
    if (!issued) {
      auto& st = conn.Prepare(sql::kInsertCampaign);
      st.setString(1, c.coupon_id);
      st.setString(2, c.name);
      st.setString(3, type);
      st.setInt64(4, c.discount_value);
      db::BindOptional(st, 5, c.max_discount);
      st.setInt64(6, c.quantity);
      db::BindOptional(st, 7, DateTimeOf(c.valid_from));
      db::BindOptional(st, 8, DateTimeOf(c.valid_until));
      st.executeUpdate();
      return true;
    }
    if (c.quantity < *issued) {
      throw QuantityBelowIssued("quantity " + std::to_string(c.quantity) + " is below the " +
                                std::to_string(*issued) + " coupons already issued");
    }
    auto& st = conn.Prepare(sql::kUpdateCampaign);
    st.setString(1, c.name);
    st.setString(2, type);
    st.setInt64(3, c.discount_value);
    db::BindOptional(st, 4, c.max_discount);
    st.setInt64(5, c.quantity);
    db::BindOptional(st, 6, DateTimeOf(c.valid_from));
    db::BindOptional(st, 7, DateTimeOf(c.valid_until));
    st.setString(8, c.coupon_id);
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

IssuedCoupon Issue(db::Transaction& tx, const std::string& coupon_id, std::int64_t user_id) {
  auto& conn = tx.Conn();
  try {
    db::detail::Translate(&conn, [&] {
      auto& st = conn.Prepare(sql::kInsertCoupon);
      st.setString(1, coupon_id);
      st.setInt64(2, user_id);
      st.executeUpdate();
    });
  } catch (const db::Error& e) {
    if (!e.IsDuplicateKey()) throw;
    throw IssueRefused("COUPON_ALREADY_ISSUED",
                       "user " + std::to_string(user_id) + " already has a coupon of " + coupon_id);
  }
  return db::detail::Translate(&conn, [&] {
    auto& take = conn.Prepare(sql::kTakeCoupon);
    take.setString(1, coupon_id);
    if (take.executeUpdate() == 0) {
      auto& st = conn.Prepare(sql::kCampaignState);
      st.setString(1, coupon_id);
      std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
      if (!rs->next()) throw IssueRefused("COUPON_NOT_FOUND", "no coupon campaign " + coupon_id);
      if (!rs->getBoolean(2)) throw IssueRefused("COUPON_NOT_ACTIVE", "coupon " + coupon_id + " is not valid now");
      throw IssueRefused("COUPON_SOLD_OUT", "every coupon of " + coupon_id + " is issued");
    }
    auto& st = conn.Prepare(sql::kIssuedCoupon);
    st.setString(1, coupon_id);
    st.setInt64(2, user_id);
    std::unique_ptr<::sql::ResultSet> rs(st.executeQuery());
    rs->next();
    return IssuedCoupon{db::IsoFromDateTime(rs->getString(2).asStdString()), rs->getInt64(1)};
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
