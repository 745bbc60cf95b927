#include "common/address_policy.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace convox::common {
namespace {

struct V4Range {
  uint32_t network;
  int prefix;
  std::string_view kind;
};

// IANA special-purpose IPv4 ranges (RFC 6890 and successors) that are not
// globally reachable.
// Sized by its entries, so an entry cannot be left zero (0/0 would match everything).
constexpr auto kV4 = std::to_array<V4Range>({
    {0x00000000, 8, "unspecified"},      // 0.0.0.0/8 "this network"
    {0x0a000000, 8, "private"},          // 10/8
    {0x64400000, 10, "shared (CGNAT)"},  // 100.64/10
    {0x7f000000, 8, "loopback"},         // 127/8
    {0xa9fe0000, 16, "link-local"},      // 169.254/16, cloud metadata lives here
    {0xac100000, 12, "private"},         // 172.16/12
    {0xc0000000, 24, "reserved"},        // 192.0.0/24 protocol assignments
    {0xc0000200, 24, "documentation"},   // 192.0.2/24
    {0xc0586300, 24, "reserved"},        // 192.88.99/24, the retired 6to4 relay anycast
    {0xc0a80000, 16, "private"},         // 192.168/16
    {0xc6120000, 15, "benchmarking"},    // 198.18/15
    {0xc6336400, 24, "documentation"},   // 198.51.100/24
    {0xcb007100, 24, "documentation"},   // 203.0.113/24
    {0xe0000000, 4, "multicast"},        // 224/4
    {0xf0000000, 4, "reserved"},         // 240/4 and the broadcast address
});

std::optional<std::string_view> v4Kind(const boost::asio::ip::address_v4& a) {
  const uint32_t bits = a.to_uint();
  for (const auto& r : kV4) {
    const uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
    if ((bits & mask) == r.network) return r.kind;
  }
  return std::nullopt;
}

std::optional<std::string_view> v6Kind(const boost::asio::ip::address_v6& a) {
  if (a.is_v4_mapped()) return v4Kind(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a));
  if (a.is_unspecified()) return "unspecified";
  if (a.is_loopback()) return "loopback";
  if (a.is_link_local()) return "link-local";
  if (a.is_multicast()) return "multicast";
  const auto b = a.to_bytes();
  if ((b[0] & 0xfe) == 0xfc) return "private";                         // fc00::/7 unique local
  if ((b[0] == 0xfe) && ((b[1] & 0xc0) == 0xc0)) return "site-local";  // fec0::/10, deprecated
  // 64:ff9b::/96 (NAT64) and ::/96 (IPv4-compatible) embed an IPv4 address.
  const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
                     std::all_of(b.begin() + 4, b.begin() + 12, [](unsigned char x) { return x == 0; });
  const bool compatible = std::all_of(b.begin(), b.begin() + 12, [](unsigned char x) { return x == 0; });
  if (nat64 || compatible) {
    return v4Kind(boost::asio::ip::address_v4({b[12], b[13], b[14], b[15]}));
  }
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "documentation";  // 2001:db8::/32
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0x00 && b[5] == 0x01) {
    return "private";  // 64:ff9b:1::/48, local-use NAT64
  }
  if (b[0] == 0x01 && b[1] == 0x00 &&
      std::all_of(b.begin() + 2, b.begin() + 8, [](unsigned char x) { return x == 0; })) {
    return "reserved";  // 100::/64, discard-only
  }
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) return "reserved";  // 2001::/23 protocol assignments, Teredo
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> nonPublicAddressKind(const boost::asio::ip::address& address) {
  return address.is_v4() ? v4Kind(address.to_v4()) : v6Kind(address.to_v6());
}

}  // namespace convox::common
