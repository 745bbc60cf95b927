#pragma once

// Opening the mux's sockets (the UDP one and the ICE-TCP listener): a
// non-blocking socket with its options, bound, and the address it got.

#include "rtc/socket_endpoint.hpp"

#include <span>
#include <string>

namespace convox::rtc {

struct SocketOption {
  int level;
  int name;
  int value;
};

// A SOCK_NONBLOCK | SOCK_CLOEXEC socket of `type` (SOCK_DGRAM, SOCK_STREAM)
// for `local`'s family, `options` set before it is bound to `local`; its
// descriptor, with `bound` the address it got (the port, when `local` asked
// for 0), or -1 with `error` saying which step failed.
int openBoundSocket(int type, const SocketEndpoint& local, std::span<const SocketOption> options, SocketEndpoint& bound,
                    std::string& error);

}  // namespace convox::rtc
