#pragma once

// Which IP addresses a request on a user's behalf may reach. Webhook URLs
// come from API users; without this check they could make the server call
// its own loopback services, the cloud metadata endpoint or the private
// network behind it (server-side request forgery).

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string_view>

namespace convox::common {

// Why `address` is not on the public internet ("loopback", "private",
// "link-local", ...), or nullopt when it is a public unicast address.
std::optional<std::string_view> nonPublicAddressKind(const boost::asio::ip::address& address);

}  // namespace convox::common
