#pragma once

// The seed specification's example agent (../shared/seeds/000, quoted in
// issue 13 §4), verbatim: users write their configurations from it.
inline constexpr const char* kSeedAgentDocument =
    R"({ "name": "Hindi Collections Agent", "description": "Handles debt collection calls in Hindi",
  "stt": { "provider": "sarvam", "language": "hi-IN", "config": {} },
  "llm": { "provider": "openai", "model": "gpt-4o-mini", "system_prompt": "You are a collections agent...", "temperature": 0.3, "max_tokens": 150 },
  "tts": { "provider": "gnani", "voice": "priya-hi-IN", "config": {} },
  "telephony": { "provider": "exotel", "from_number": "+91XXXXXXXXXX" },
  "vad": { "enabled": true, "silence_threshold_ms": 800 },
  "interruption_handling": { "enabled": true, "mode": "restart" },
  "compliance": { "dpdp": { "enabled": true, "consent_language": "hi", "consent_purpose": "debt_collection", "retention_days": 180 } },
  "webhooks": { "on_call_end": "https://your-crm.com/hooks/call-complete", "on_transcript_ready": "https://your-crm.com/hooks/transcript" } })";
