#pragma once

// The playground: a LiveKit front end served at / (pick an agent, talk to
// it, see its state and captions, read the stored transcript). Its files are
// read once at start-up from a fixed list, so nothing else on disk is ever
// served; livekit-client comes from the playground's own npm install
// (playground/package-lock.json), never from a CDN or a copy in the repo.

#include "common/http_server.hpp"

#include <string>

namespace convox::app {

struct PlaygroundOptions {
  std::string dir;        // empty: beside the binary, else the source tree
  bool dev = false;       // --dev: the page may use the well-known dev key
  std::string devApiKey;  // that key (control_api::kDevApiKey)
  std::string serverVersion;
  std::string publicUrl;  // --public-url: where the page's calls connect, beside this origin
};

// Mounts / and /playground/*. Without the files (npm ci not run), / says how
// to install them; GET and HEAD / answer 200 either way, since LiveKit SDKs
// probe the server's root.
void mountPlayground(common::HttpRouter& router, const PlaygroundOptions& options);

}  // namespace convox::app
