#include "common/io_runner.hpp"

#include "common/logging.hpp"

#include <exception>

namespace convox::common {

void runCatchingExceptions(boost::asio::io_context& io, std::string_view logTag) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      logger(logTag)->error("a handler on this loop threw, carrying on: {}", e.what());
    } catch (...) {
      logger(logTag)->error("a handler on this loop threw a non-exception, carrying on");
    }
  }
}

}  // namespace convox::common
