#pragma once

// Hooks for a VoiceAgent under test, with no room: audio is accepted and
// dropped, the output is always ready, turns go to `turns`, a failure fails
// the test. Tests replace the hooks they watch.

#include "voice_agent.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace convox::worker {

inline VoiceAgentHooks recordingHooks(std::vector<boost::json::object>& turns) {
  VoiceAgentHooks hooks;
  hooks.setState = [](const std::string&) {};
  hooks.sendOpus = [](std::span<const uint8_t>, bool) { return true; };
  hooks.skipAudio = [](uint32_t) {};
  hooks.postTurn = [&turns](boost::json::object turn) { turns.push_back(std::move(turn)); };
  hooks.endCall = [](const std::string&) {};
  hooks.setResults = [](const boost::json::object&) {};
  hooks.fail = [](const std::string& error) { ADD_FAILURE() << error; };
  hooks.outputReady = [] { return true; };
  hooks.agentIdentity = "agent-job";
  hooks.agentTrackSid = [] { return std::string("TR_agent"); };
  hooks.userIdentity = [] { return std::string("caller"); };
  hooks.userTrackSid = [] { return std::string("TR_caller"); };
  return hooks;
}

}  // namespace convox::worker
