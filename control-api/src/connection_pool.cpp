#include "connection_pool.hpp"

#include <condition_variable>
#include <mutex>

namespace convox::control_api {
namespace {

class ConnectionPool final : public SqlConnection {
 public:
  explicit ConnectionPool(std::vector<std::unique_ptr<SqlConnection>> connections)
      : connections_(std::move(connections)) {
    free_.reserve(connections_.size());
    for (auto& c : connections_) free_.push_back(c.get());
  }

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlValue>& params) override {
    Borrowed connection(*this);
    return connection->query(sql, params);
  }

  void execScript(const std::string& sql) override {
    Borrowed connection(*this);
    connection->execScript(sql);
  }

  std::string backendName() const override { return connections_.front()->backendName(); }

 private:
  class Borrowed {
   public:
    explicit Borrowed(ConnectionPool& pool) : pool_(pool) {
      std::unique_lock lock(pool_.mutex_);
      pool_.returned_.wait(lock, [this] { return !pool_.free_.empty(); });
      connection_ = pool_.free_.back();
      pool_.free_.pop_back();
    }
    ~Borrowed() {
      {
        std::lock_guard lock(pool_.mutex_);
        pool_.free_.push_back(connection_);
      }
      pool_.returned_.notify_one();
    }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
    SqlConnection* operator->() const { return connection_; }

   private:
    ConnectionPool& pool_;
    SqlConnection* connection_ = nullptr;
  };

  std::vector<std::unique_ptr<SqlConnection>> connections_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<SqlConnection*> free_;
};

}  // namespace

std::unique_ptr<SqlConnection> poolConnections(std::vector<std::unique_ptr<SqlConnection>> connections) {
  if (connections.empty()) throw StoreError("a connection pool needs at least one connection");
  if (connections.size() == 1) return std::move(connections.front());
  return std::make_unique<ConnectionPool>(std::move(connections));
}

}  // namespace convox::control_api
