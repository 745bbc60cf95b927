#pragma once

// What the HTTP provider clients (transcription, speech) share: the reason
// text of a failed response. Key redaction and the address filter of an
// untrusted base URL are provider_socket's, shared with the WebSocket ones.

#include "voice/http_stream.hpp"
#include "voice/provider_socket.hpp"  // redactSecret, publicAddressesOnly

#include <string>
#include <string_view>

namespace convox::voice {

// "<what>: HTTP 429 (retry after 7 s): Rate limit reached", the message
// taken from the provider's error body (OpenAI's error object, FastAPI's
// detail, whisper.cpp's error string) or the start of the body.
std::string httpFailure(std::string_view what, const HttpResponseHead& head, std::string_view body);

}  // namespace convox::voice
