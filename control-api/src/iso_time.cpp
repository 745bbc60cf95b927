#include "iso_time.hpp"

#include <cstdio>

namespace convox::control_api {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (a count of the years,
// leap days and month lengths before it).
int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
  static constexpr int kBeforeMonth[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int64_t yearsBefore = y - 1;
  const int64_t leapDaysBefore = yearsBefore / 4 - yearsBefore / 100 + yearsBefore / 400;
  const int64_t days1970 = 1969 * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400;  // days before 1970 since year 1
  return yearsBefore * 365 + leapDaysBefore - days1970 + kBeforeMonth[m - 1] + (leap && m > 2 ? 1 : 0) + d - 1;
}

int daysInMonth(int64_t y, int64_t m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`.
std::optional<int64_t> digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool take(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<int64_t> parseIsoTime(std::string_view s) {
  size_t pos = 0;
  const auto y = digits(s, pos, 4);
  if (!y || !take(s, pos, '-')) return std::nullopt;
  const auto mo = digits(s, pos, 2);
  if (!mo || !take(s, pos, '-')) return std::nullopt;
  const auto d = digits(s, pos, 2);
  if (!d || *y < 1970 || *mo < 1 || *mo > 12 || *d < 1 || *d > daysInMonth(*y, *mo)) return std::nullopt;
  int64_t ms = daysFromCivil(*y, *mo, *d) * 86'400'000;
  if (pos == s.size()) return ms;
  if (!take(s, pos, 'T') && !take(s, pos, 't')) return std::nullopt;
  const auto h = digits(s, pos, 2);
  if (!h || !take(s, pos, ':')) return std::nullopt;
  const auto mi = digits(s, pos, 2);
  if (!mi || *h > 23 || *mi > 59) return std::nullopt;
  int64_t sec = 0;
  int64_t frac = 0;
  if (take(s, pos, ':')) {
    const auto sv = digits(s, pos, 2);
    if (!sv || *sv > 59) return std::nullopt;  // no leap seconds in unix time
    sec = *sv;
    if (take(s, pos, '.') || take(s, pos, ',')) {
      size_t n = 0;
      for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++n) {
        if (n < 3) frac = frac * 10 + (s[pos] - '0');
      }
      if (n == 0) return std::nullopt;
      for (; n < 3; ++n) frac *= 10;  // milliseconds; finer digits are dropped
    }
  }
  ms += ((*h * 60 + *mi) * 60 + sec) * 1000 + frac;
  if (take(s, pos, 'Z') || take(s, pos, 'z')) return pos == s.size() ? std::optional(ms) : std::nullopt;
  int sign = 0;
  if (take(s, pos, '+') || take(s, pos, ' '))
    sign = 1;
  else if (take(s, pos, '-'))
    sign = -1;
  if (sign == 0) return std::nullopt;  // a time without a zone is ambiguous
  const auto oh = digits(s, pos, 2);
  take(s, pos, ':');
  const auto om = digits(s, pos, 2);
  if (!oh || !om || *oh > 23 || *om > 59 || pos != s.size()) return std::nullopt;
  ms -= sign * (*oh * 60 + *om) * 60'000;
  return ms >= 0 ? std::optional(ms) : std::nullopt;
}

std::string formatIsoTime(int64_t unixMillis) {
  int64_t days = unixMillis / 86'400'000;
  const int64_t msOfDay = unixMillis % 86'400'000;
  int64_t y = 1970;
  while (true) {
    const int64_t yearDays = daysFromCivil(y + 1, 1, 1) - daysFromCivil(y, 1, 1);
    if (days < yearDays) break;
    days -= yearDays;
    ++y;
  }
  int64_t m = 1;
  while (days >= daysInMonth(y, m)) days -= daysInMonth(y, m++);
  char out[160];
  const long long day = days + 1;
  const long long hour = msOfDay / 3'600'000;
  const long long minute = msOfDay / 60'000 % 60;
  const long long second = msOfDay / 1000 % 60;
  const long long millis = msOfDay % 1000;
  std::snprintf(out, sizeof out, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                static_cast<long long>(m), day, hour, minute, second, millis);
  return out;
}

}  // namespace convox::control_api
