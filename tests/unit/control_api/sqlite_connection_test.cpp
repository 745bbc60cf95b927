// SQLite's durability setting: FULL unless asked otherwise, on every pooled connection.
#include "control_api/sql_connection.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace convox::control_api {
namespace {

class SqliteConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("convox-sqlite-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "convox.db").string(); }

  // PRAGMA synchronous answers 1 for NORMAL, 2 for FULL; asked as often as
  // there are connections, so each connection of the pool is seen.
  static std::vector<std::string> levels(SqlConnection& sql, size_t connections) {
    std::vector<std::string> out;
    for (size_t i = 0; i < connections * 4; ++i) out.push_back(*sql.query("PRAGMA synchronous", {}).at(0).at(0));
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(SqliteConnectionTest, SynchronousIsFullByDefault) {
  const auto sql = openSqlite(path(), 3);
  for (const auto& level : levels(*sql, 3)) EXPECT_EQ(level, "2");
  EXPECT_EQ(*sql->query("PRAGMA journal_mode", {}).at(0).at(0), "wal");
}

TEST_F(SqliteConnectionTest, NormalWhenChosen) {
  const auto sql = openSqlite(path(), 2, SqliteSynchronous::Normal);
  for (const auto& level : levels(*sql, 2)) EXPECT_EQ(level, "1");
}

}  // namespace
}  // namespace convox::control_api
