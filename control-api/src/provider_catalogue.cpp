#include "provider_catalogue.hpp"

#include <algorithm>

namespace convox::control_api {
namespace {

// A GET whose 2xx proves the key.
ProviderCheck get(std::string_view path) { return {"GET", path, "", {}, false}; }
// A GET that can only show the server answers.
ProviderCheck reachable(std::string_view path) { return {"GET", path, "", {}, true}; }

}  // namespace

const std::vector<ProviderInfo>& providerCatalogue() {
  using enum KeyHeader;
  // Base URLs of OpenAI-compatible servers end at their /v1, as their clients
  // take them; the check's path goes after it.
  const ProviderCheck models = get("/models");
  static const std::vector<ProviderInfo> kCatalogue{
      {"deepgram", "Deepgram", {"stt", "tts"}, true, "https://api.deepgram.com", Token, get("/v1/projects")},
      {"openai", "OpenAI", {"stt", "llm", "tts"}, true, "https://api.openai.com/v1", Bearer, models},
      {"groq", "Groq", {"stt", "llm"}, true, "https://api.groq.com/openai/v1", Bearer, models},
      // whisper.cpp's server has no model list; its root answers with its page.
      {"whisper.cpp", "whisper.cpp server", {"stt"}, false, "http://127.0.0.1:8080", Bearer, reachable("/")},
      {"speaches", "speaches", {"stt", "tts"}, false, "http://127.0.0.1:8000/v1", Bearer, models},
      // Sarvam has no documented free authenticated GET: an empty chat request
      // is refused for its body (400/422) once the key passed, 403 otherwise,
      // and costs nothing (chosen here; not verified against Sarvam).
      {"sarvam",
       "Sarvam AI",
       {"stt", "llm", "tts"},
       true,
       "https://api.sarvam.ai",
       SubscriptionKey,
       {"POST", "/v1/chat/completions", "{}", {400, 422}, false}},
      {"pocketsphinx", "PocketSphinx (in the worker)", {"stt"}, false, "", None, {}},
      {"anthropic", "Anthropic", {"llm"}, true, "https://api.anthropic.com", XApiKey, get("/v1/models")},
      {"gemini",
       "Google Gemini",
       {"llm"},
       true,
       "https://generativelanguage.googleapis.com",
       XGoogApiKey,
       get("/v1beta/models")},
      {"ollama", "Ollama", {"llm"}, false, "http://127.0.0.1:11434/v1", Bearer, models},
      {"vllm", "vLLM", {"llm"}, false, "http://127.0.0.1:8000/v1", Bearer, models},
      {"llama.cpp", "llama.cpp server", {"llm"}, false, "http://127.0.0.1:8080/v1", Bearer, models},
      {"mistral", "Mistral AI", {"llm"}, true, "https://api.mistral.ai/v1", Bearer, models},
      {"deepseek", "DeepSeek", {"llm"}, true, "https://api.deepseek.com", Bearer, models},
      // OpenRouter's model list is public; its key route checks the key.
      {"openrouter", "OpenRouter", {"llm"}, true, "https://openrouter.ai/api/v1", Bearer, get("/key")},
      {"together", "Together AI", {"llm"}, true, "https://api.together.xyz/v1", Bearer, models},
      {"elevenlabs", "ElevenLabs", {"tts"}, true, "https://api.elevenlabs.io", XiApiKey, get("/v1/user")},
      {"kokoro", "Kokoro-FastAPI", {"tts"}, false, "http://127.0.0.1:8880/v1", Bearer, models},
      // openedai-speech lists no models; its root shows whether it is there.
      {"openedai-speech", "openedai-speech", {"tts"}, false, "http://127.0.0.1:8000/v1", Bearer, reachable("/")},
      {"espeak-ng", "eSpeak NG (in the worker)", {"tts"}, false, "", None, {}},
  };
  return kCatalogue;
}

const ProviderInfo* findProvider(std::string_view id) {
  const auto& all = providerCatalogue();
  const auto it = std::find_if(all.begin(), all.end(), [id](const ProviderInfo& p) { return p.id == id; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace convox::control_api
