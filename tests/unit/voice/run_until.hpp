#pragma once

// Runs a test's io_context in short slices until `done()` holds or `limit`
// passes, for tests whose peers (local servers) share that io_context.

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>

namespace convox::voice::testing {

inline bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace convox::voice::testing
