#include "connection_pool.hpp"
#include "control_api/sql_connection.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <mutex>
#include <unordered_map>

namespace convox::control_api {
namespace {

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(const std::string& url) : url_(url) { connect(); }

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
    std::lock_guard lock(mutex_);
    std::vector<const char*> raw;
    raw.reserve(params.size());
    for (const auto& p : params) raw.push_back(p ? p->c_str() : nullptr);
    // Each statement text is prepared once per connection: parsing and
    // planning then happen once, not on every request.
    return run([&](pqxx::nontransaction& tx) {
      auto it = prepared_.find(sql);
      if (it == prepared_.end()) {
        const std::string name = "s" + std::to_string(prepared_.size());
        connection_->prepare(name, sql);
        it = prepared_.emplace(sql, name).first;
      }
      return tx.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(raw));
    });
  }

  void execScript(const std::string& sql) override {
    std::lock_guard lock(mutex_);
    run([&](pqxx::nontransaction& tx) { return tx.exec(sql); });
  }

  std::string backendName() const override { return "postgres"; }

 private:
  void connect() {
    try {
      prepared_.clear();  // prepared statements belong to the old connection
      connection_ = std::make_unique<pqxx::connection>(url_);
    } catch (const std::exception& e) {
      throw StoreError(std::string("cannot connect to PostgreSQL: ") + e.what());
    }
  }

  template <typename Exec>
  std::vector<SqlRow> run(Exec&& exec) {
    // One reconnect after a lost link (a database restart). Every statement the
    // repository runs is a single idempotent or conflict-checked statement, so a
    // re-run after a lost reply either repeats harmlessly or reports a conflict.
    for (int attempt = 0;; ++attempt) {
      try {
        if (!connection_ || !connection_->is_open()) connect();
        pqxx::nontransaction tx(*connection_);
        const pqxx::result result = exec(tx);
        std::vector<SqlRow> rows;
        rows.reserve(result.size());
        for (const auto& r : result) {
          SqlRow row;
          row.reserve(r.size());
          for (const auto& field : r) {
            if (field.is_null()) {
              row.emplace_back(std::nullopt);
            } else {
              row.emplace_back(std::string(field.c_str(), field.size()));
            }
          }
          rows.push_back(std::move(row));
        }
        return rows;
      } catch (const pqxx::broken_connection& e) {
        connection_.reset();
        if (attempt >= 1) throw StoreError(std::string("PostgreSQL connection lost: ") + e.what());
      } catch (const StoreError&) {
        throw;
      } catch (const std::exception& e) {
        throw StoreError(std::string("postgres: ") + e.what());
      }
    }
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<SqlConnection> openPostgres(const std::string& url, size_t connections) {
  std::vector<std::unique_ptr<SqlConnection>> pool;
  for (size_t i = 0; i < std::max<size_t>(connections, 1); ++i)
    pool.push_back(std::make_unique<PostgresConnection>(url));
  return poolConnections(std::move(pool));
}

}  // namespace convox::control_api
