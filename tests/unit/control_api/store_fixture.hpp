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
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<SqlConnection> connect(size_t connections = 1) const {
    return GetParam() == Backend::Postgres ? openPostgres(url_, connections) : openSqlite(url_, connections);
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
  std::unique_ptr<Repository> repo_;
};

}  // namespace convox::control_api::testing
