#pragma once

// The schema, as numbered plain-SQL steps. A step is never edited once
// released: changes go into a new step. The SQL is the common subset of
// SQLite and PostgreSQL (times are unix milliseconds, flags are 0/1).

#include <string>
#include <vector>

namespace convox::control_api {

struct Migration {
  int version;
  std::string sql;
};

const std::vector<Migration>& migrations();

}  // namespace convox::control_api
