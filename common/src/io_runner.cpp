#include "common/io_runner.hpp"

#include "common/logging.hpp"

#include <exception>

namespace convox::common {

void runCatchingExceptions(boost::asio::io_context& io, std::string_view name) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      logger("http")->error("{} loop: a handler threw, carrying on: {}", name, e.what());
    } catch (...) {
      logger("http")->error("{} loop: a handler threw a non-exception, carrying on", name);
    }
  }
}

}  // namespace convox::common
