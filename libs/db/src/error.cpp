#include "saga/db/error.hpp"

#include <cppconn/exception.h>

namespace saga::db {

Error::Error(std::string message, int code, std::string sql_state)
    : std::runtime_error(std::move(message)), code_(code), sql_state_(std::move(sql_state)) {}

Error Error::From(const sql::SQLException& e) {
  return Error(std::string("database error ") + std::to_string(e.getErrorCode()) + " (" +
                   e.getSQLState() + "): " + e.what(),
               e.getErrorCode(), e.getSQLState());
}

bool Error::IsConnectionLost() const {
  switch (code_) {
    case 1053:  // server shutdown in progress
    case 1927:  // connection was killed (MariaDB)
    case 2002:  // can't connect (socket)
    case 2003:  // can't connect (TCP)
    case 2006:  // server has gone away
    case 2013:  // lost connection during query
    case 2055:  // lost connection at reading ...
    case 4031:  // disconnected by the server because of inactivity
    case -1:    // pool could not provide a connection
      return true;
    default:
      return sql_state_.rfind("08", 0) == 0;  // connection exception class
  }
}

bool Error::IsTransient() const { return code_ == 1213 || code_ == 1205; }

}  // namespace saga::db

namespace saga::db {

// The data errors that make an event poison (docs/adr/0012-only-known-data-errors-are-poison.md).
bool Error::IsPermanent() const {
  switch (code_) {
    case 1048:  // column cannot be null
    case 1264:  // out of range value for column
    case 1265:  // data truncated for column
    case 1292:  // incorrect datetime (or other) value
    case 1366:  // incorrect integer (or string) value for column
    case 1367:  // illegal value found during parsing
    case 1406:  // data too long for column
    case 1411:  // incorrect value for function
    case 1451:  // a foreign key constraint fails (parent row)
    case 1452:  // a foreign key constraint fails (child row)
    case 1690:  // value out of range in an expression (BIGINT overflow)
    case 3819:  // check constraint violated (MySQL)
    case 4025:  // CONSTRAINT failed (MariaDB CHECK)
      return true;
    default:
      return false;
  }
}

}  // namespace saga::db
