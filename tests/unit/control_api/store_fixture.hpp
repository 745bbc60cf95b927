#pragma once

// Runs a test suite on both store backends: SQLite in a temp file, and the
// PostgreSQL named by CONVOX_TEST_DATABASE_URL (scripts/pg-test-cluster.sh
// starts a throwaway cluster and sets it). Without that URL the PostgreSQL
// cases skip on a developer machine and fail under CI, so a CI run can never
// pass while silently not testing PostgreSQL.

#include "control_api/repository.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace convox::control_api::testing {

enum class Backend { Sqlite, Postgres };

inline std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::Sqlite ? "Sqlite" : "Postgres";
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::Postgres) {
      const char* url = std::getenv("CONVOX_TEST_DATABASE_URL");
      if (!url || !*url) {
        if (std::getenv("CI")) FAIL() << "CI is set but CONVOX_TEST_DATABASE_URL is not: PostgreSQL was not started";
        GTEST_SKIP() << "CONVOX_TEST_DATABASE_URL not set (scripts/pg-test-cluster.sh starts one)";
      }
      url_ = url;
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("convox-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
      std::filesystem::create_directories(dir_);
      url_ = (dir_ / "convox.db").string();
    }
    repo_ = open();
  }
  void TearDown() override {
    repo_.reset();
    for (const auto& name : databases_) connect()->execScript("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<SqlConnection> connect(size_t connections = 1) const { return connectTo(url_, connections); }
  std::unique_ptr<SqlConnection> connectTo(const std::string& url, size_t connections = 1) const {
    return GetParam() == Backend::Postgres ? openPostgres(url, connections) : openSqlite(url, connections);
  }
  // An empty store of the test's own beside the suite's (a SQLite file, a
  // PostgreSQL database, dropped at TearDown), for a test that builds an
  // older schema by hand. Its URL for connectTo().
  std::string emptyStoreUrl() {
    const auto name = "convox_empty_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++);
    if (GetParam() == Backend::Sqlite) return (dir_ / (name + ".db")).string();
    const auto raw = connect();
    raw->execScript("DROP DATABASE IF EXISTS " + name);
    raw->execScript("CREATE DATABASE " + name);
    databases_.push_back(name);
    // postgresql:///postgres?host=... -> postgresql:///<name>?host=...
    const auto query = url_.find('?');
    const auto path = url_.rfind('/', query);
    return url_.substr(0, path + 1) + name + (query == std::string::npos ? "" : url_.substr(query));
  }
  std::unique_ptr<Repository> open(size_t connections = 1) const {
    return std::make_unique<Repository>(connect(connections));
  }

  Repository& repo() { return *repo_; }
  void reopen() {
    repo_.reset();
    repo_ = open();
  }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
  std::string url_;
  std::vector<std::string> databases_;  // made by emptyStoreUrl()
  std::unique_ptr<Repository> repo_;
};

}  // namespace convox::control_api::testing
