#pragma once

// Runs an io_context so that an exception escaping any of its handlers
// (a timer, a posted task, a handler we did not guard ourselves) is logged
// and the loop carries on, instead of ending the process: every room,
// worker and request on the thread depends on that loop.

#include <boost/asio/io_context.hpp>

#include <string_view>

namespace convox::common {

// Returns when `io` runs out of work or is stopped. What a handler threw is
// logged under `logTag` (the component whose loop it is).
void runCatchingExceptions(boost::asio::io_context& io, std::string_view logTag);

}  // namespace convox::common
