#pragma once

// What every streaming chat model client (OpenAI-compatible, Anthropic,
// Gemini) is configured with. Each client's own settings struct derives from
// this and sets its provider's defaults, so the factory fills the common part
// once for all of them.

#include "voice/provider_usage.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace convox::voice {

struct ChatModelSettings {
  std::string baseUrl;   // the API root, without the method's path
  std::string apiKey;    // "" = no key header (local servers)
  std::string provider;  // for usage records
  std::string model;
  std::optional<double> temperature;
  std::optional<int64_t> maxTokens;
  std::string systemPrompt;  // used unless the history starts with a system message; "" = none
  std::string caFile;        // PEM CAs to trust besides the system's, for a self-hosted https server
  bool offerTools = true;    // end_call and transfer_to_human
  std::chrono::milliseconds connectTimeout{10000};  // until the response header
  std::chrono::milliseconds idleTimeout{10000};     // between body bytes (a stalled stream)
  size_t maxReplyBytes = size_t{64} * 1024;         // text plus tool arguments; beyond it the reply is cut
  // The base_url came from an agent document and is not an origin the
  // operator trusts: loopback, private and link-local addresses are refused
  // (the cloud metadata endpoint, the control API, the operator's network).
  bool publicAddressesOnly = false;
  // Where a reply cut by cancel() (barge-in, a fallback's timeout) reports
  // what it used: no onDone follows a cancel, yet the provider bills the
  // prompt and the tokens it streamed. Estimated where the stream had not
  // said, and then marked `estimated` (see chat_stream.hpp); null = not
  // reported.
  UsageSink cutReplyUsage;
};

}  // namespace convox::voice
