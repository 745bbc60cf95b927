#pragma once

// The little SQL the repository needs, over SQLite or PostgreSQL. Statements
// use PostgreSQL's $1, $2 ... placeholders on both backends (SQLite accepts
// them as named parameters), and every value travels as text or NULL, so the
// repository's SQL is written once and runs unchanged on both.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace convox::control_api {

using SqlValue = std::optional<std::string>;  // nullopt = NULL
using SqlRow = std::vector<SqlValue>;

// A store failure (connection lost, constraint violated, bad SQL). The message
// is for logs; clients get a generic "storage error".
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  // Runs one statement with bound parameters; returns its rows (if any).
  virtual std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) = 0;
  // Runs several statements without parameters (migrations).
  virtual void execScript(const std::string& sql) = 0;
  virtual std::string backendName() const = 0;  // "sqlite" or "postgres"
};

// Both open `connections` connections (at least 1) and run each call on a
// free one, so that many threads may use the result at once.
// `path` is a file, created if missing; the database runs in WAL mode, reads
// run side by side and writes take turns (one writer lock per pool, which
// saves SQLite's busy-wait sleeps).
// SQLite's `synchronous`: Full makes every commit durable (an fsync of the
// WAL per commit); Normal can lose the last commits on power loss (not on a
// process crash) and writes faster.
enum class SqliteSynchronous { Full, Normal };
std::unique_ptr<SqlConnection> openSqlite(const std::string& path, size_t connections = 1,
                                          SqliteSynchronous synchronous = SqliteSynchronous::Full);
// `url` is a libpq connection string or postgres:// URL.
std::unique_ptr<SqlConnection> openPostgres(const std::string& url, size_t connections = 1);

}  // namespace convox::control_api
