#include "common/address_policy.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
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

namespace {

// The URL's authority as written: after "://", before the path.
std::string_view authorityOf(std::string_view url) {
  const auto start = url.find("://");
  if (start == std::string_view::npos) return {};
  auto authority = url.substr(start + 3);
  return authority.substr(0, authority.find_first_of("/?#"));
}

// The host as written: the authority without user info and port.
std::string_view writtenHost(std::string_view url) {
  auto authority = authorityOf(url);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.front() == '[') return authority.substr(0, authority.find(']') + 1);
  return authority.substr(0, authority.find(':'));
}

// The text between "[" and "]" of the URL's authority, if it has one.
std::optional<std::string_view> bracketedHost(std::string_view url) {
  const auto authority = authorityOf(url);
  const auto open = authority.find('[');
  if (open == std::string_view::npos) return std::nullopt;
  const auto close = authority.find(']', open);
  return authority.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
}

// WHATWG URL's "ends in a number": a last label of decimal digits or 0x-hex.
bool endsInNumber(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const auto dot = host.rfind('.');
  auto label = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (label.empty()) return false;
  const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  if (std::all_of(label.begin(), label.end(), isDigit)) return true;
  if (label.size() < 2 || label[0] != '0' || (label[1] != 'x' && label[1] != 'X')) return false;
  label.remove_prefix(2);
  return std::all_of(label.begin(), label.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<std::string> urlHostProblem(std::string_view url) {
  // Looked at before parsing: Boost.URL refuses zone ids, and "not a valid
  // URL" would hide the real reason.
  if (const auto literal = bracketedHost(url); literal && literal->find('%') != std::string_view::npos) {
    return "the host is a scoped IPv6 literal: a zone id names an interface of this machine, not a remote host";
  }
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "is not a valid URL";
  // Boost.URL 1.81 reads "1.2.3.4.5" as the address 1.2.3.4: the client
  // would connect to a host the URL does not name.
  if (parsed->encoded_host() != writtenHost(url)) return "the host is neither a valid address nor a valid name";
  switch (parsed->host_type()) {
    case boost::urls::host_type::none:
      return "has no host";
    case boost::urls::host_type::ipvfuture:
      return "the host is an IPvFuture literal, which cannot be connected to";
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      return std::nullopt;
    case boost::urls::host_type::name:
      break;
  }
  const std::string_view host = parsed->encoded_host();
  if (host.empty()) return "has no host";
  if (host.find('%') != std::string_view::npos) return "the host name has percent-encoded characters";
  if (endsInNumber(host)) return "the host ends in a number but is not a dotted-quad IPv4 address";
  return std::nullopt;
}

}  // namespace convox::common
