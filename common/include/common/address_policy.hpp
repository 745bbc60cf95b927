#pragma once

// Which IP addresses a request on a user's behalf may reach. Webhook URLs
// come from API users; without this check they could make the server call
// its own loopback services, the cloud metadata endpoint or the private
// network behind it (server-side request forgery).

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace convox::common {

// Why `address` is not on the public internet ("loopback", "private",
// "link-local", ...), or nullopt when it is a public unicast address.
std::optional<std::string_view> nonPublicAddressKind(const boost::asio::ip::address& address);

// Why the host of the http(s) URL `url` can never be reached as written, or
// nullopt when it can be looked up or connected to: the URL does not parse,
// has no host, its host is a scoped IPv6 literal ("[fe80::1%25eth0]": a zone
// names one of the sender's own interfaces), an IPvFuture literal, or a name
// ending in a number that is not a dotted-quad IPv4 address ("0x7f.1",
// "2130706433", which resolvers read as addresses in surprising ways).
// Checked when a URL is accepted, so it fails then rather than at delivery.
std::optional<std::string> urlHostProblem(std::string_view url);

}  // namespace convox::common
