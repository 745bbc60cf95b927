#pragma once

#include "control_api/sql_connection.hpp"

#include <memory>
#include <vector>

namespace convox::control_api {

// Several connections to one database behind one SqlConnection: each call
// borrows a free connection (waiting when all are busy), so the store threads
// run their statements side by side. One connection is returned unwrapped.
std::unique_ptr<SqlConnection> poolConnections(std::vector<std::unique_ptr<SqlConnection>> connections);

}  // namespace convox::control_api
