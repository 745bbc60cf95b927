#include "connection_pool.hpp"
#include "control_api/sql_connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace convox::control_api {
namespace {

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(const std::string& path, std::shared_ptr<std::mutex> writeLock, SqliteSynchronous synchronous)
      : writeLock_(std::move(writeLock)) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw StoreError("cannot open SQLite database " + path + ": " + why);
    }
    // Another process (an admin command) may hold the write lock briefly.
    sqlite3_busy_timeout(db_, 5000);
    // In WAL mode NORMAL syncs only at checkpoints: a power loss can undo the
    // last commits, turns the API already acknowledged. FULL syncs the WAL on
    // every commit.
    const char* sync = synchronous == SqliteSynchronous::Full ? "FULL" : "NORMAL";
    execScript(std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + sync + "; PRAGMA foreign_keys=ON;");
  }
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mutex_);
    sqlite3_stmt* stmt = prepared(sql);
    std::unique_lock<std::mutex> writing;
    if (!sqlite3_stmt_readonly(stmt)) writing = std::unique_lock(*writeLock_);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < params.size(); ++i) {
      const std::string name = "$" + std::to_string(i + 1);
      const int index = sqlite3_bind_parameter_index(stmt, name.c_str());
      if (index == 0) continue;  // the statement does not use this parameter
      const int rc = params[i] ? sqlite3_bind_text(stmt, index, params[i]->data(), static_cast<int>(params[i]->size()),
                                                   SQLITE_TRANSIENT)
                               : sqlite3_bind_null(stmt, index);
      if (rc != SQLITE_OK) throw StoreError(std::string("sqlite bind: ") + sqlite3_errmsg(db_));
    }
    std::vector<SqlRow> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        const std::string why = sqlite3_errmsg(db_);
        sqlite3_reset(stmt);
        throw StoreError("sqlite: " + why);
      }
      const int columns = sqlite3_column_count(stmt);
      SqlRow row;
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_reset(stmt);
    return rows;
  }

  void execScript(const std::string& sql) override {
    std::lock_guard lock(mutex_);
    std::lock_guard writing(*writeLock_);
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string why = error ? error : "unknown error";
      sqlite3_free(error);
      // A failed script may leave a transaction open; close it so the next one starts clean.
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw StoreError("sqlite: " + why);
    }
  }

  std::string backendName() const override { return "sqlite"; }

 private:
  sqlite3_stmt* prepared(const std::string& sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
      throw StoreError(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    }
    statements_.emplace(sql, stmt);
    return stmt;
  }

  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::shared_ptr<std::mutex> writeLock_;  // shared by the pool's connections
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace

std::unique_ptr<SqlConnection> openSqlite(const std::string& path, size_t connections, SqliteSynchronous synchronous) {
  auto writeLock = std::make_shared<std::mutex>();
  std::vector<std::unique_ptr<SqlConnection>> pool;
  for (size_t i = 0; i < std::max<size_t>(connections, 1); ++i) {
    pool.push_back(std::make_unique<SqliteConnection>(path, writeLock, synchronous));
  }
  return poolConnections(std::move(pool));
}

}  // namespace convox::control_api
