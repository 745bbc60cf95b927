#pragma once

// The two SrtpSession implementations; SrtpSession::create picks one.

#include "rtc/srtp_session.hpp"

namespace convox::rtc::detail {

std::unique_ptr<SrtpSession> makeOpenSslSrtpSession(const SrtpKeys& keys, std::string& error);
std::unique_ptr<SrtpSession> makeLibsrtpSession(const SrtpKeys& keys, std::string& error);

}  // namespace convox::rtc::detail
