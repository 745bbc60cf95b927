#pragma once

// What the HTTP provider clients (transcription, speech) share: the reason
// text of a failed response and the address filter of an untrusted base URL.

#include "voice/http_stream.hpp"

#include <string>
#include <string_view>

namespace convox::voice {

// "<what>: HTTP 429 (retry after 7 s): Rate limit reached", the message
// taken from the provider's error body (OpenAI's error object, FastAPI's
// detail, whisper.cpp's error string) or the start of the body.
std::string httpFailure(std::string_view what, const HttpResponseHead& head, std::string_view body);

// `text` with every occurrence of `secret` replaced by "[redacted]" (a
// server may echo the key it refused).
std::string redactSecret(std::string text, const std::string& secret);

// Refuses loopback, private and link-local addresses, naming `setting` as
// what to change.
common::AddressFilter publicAddressesOnly(std::string_view setting);

}  // namespace convox::voice
