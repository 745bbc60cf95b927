#include "bound_socket.hpp"

#include "sockaddr.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace convox::rtc {

int openBoundSocket(int type, const SocketEndpoint& local, std::span<const SocketOption> options, SocketEndpoint& bound,
                    std::string& error) {
  const int fd = ::socket(local.v6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  for (const auto& o : options) ::setsockopt(fd, o.level, o.name, &o.value, sizeof o.value);
  sockaddr_storage addr{};
  const socklen_t len = toSockaddr(local, addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    error = "bind " + local.toString() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  sockaddr_storage got{};
  socklen_t gotLen = sizeof got;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &gotLen);
  bound = fromSockaddr(got);
  return fd;
}

}  // namespace convox::rtc
