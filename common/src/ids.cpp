#include "common/ids.hpp"

#include <chrono>
#include <random>

namespace convox::common {

std::string newId(std::string_view prefix) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string id(prefix);
  for (int i = 0; i < 12; ++i) id.push_back(kAlphabet[pick(rng)]);
  return id;
}

int64_t unixMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t unixSeconds() { return unixMillis() / 1000; }

}  // namespace convox::common
