#include "voice/curl_multi.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <utility>

namespace convox::voice {

namespace asio = boost::asio;

// One socket curl wants watched. asio only borrows the descriptor: curl
// opened it through openSocket() and closes it through onCloseSocket(), and
// release() hands it back without closing it.
struct CurlMulti::Watch {
  explicit Watch(asio::io_context& io) : descriptor(io) {}
  asio::posix::stream_descriptor descriptor;
  int what = 0;  // CURL_POLL_IN | CURL_POLL_OUT
  bool reading = false;
  bool writing = false;
  bool gone = false;
};

CurlMulti::CurlMulti(asio::io_context& io) : service(io), io_(io) {
  // curl_global_init is not thread-safe before curl 7.84; every media
  // thread's first request comes here.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  // Constructed here so that asio's reactor exists before this service and
  // is shut down after it (asio shuts services down newest first).
  timer_.emplace(io);
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::onSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::onTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 32L);
  // One thread uses the share: no lock callbacks needed.
  share_ = curl_share_init();
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

CurlMulti::~CurlMulti() { shutdown(); }

void CurlMulti::shutdown() {
  if (down_) return;
  down_ = true;
  for (auto& [easy, transfer] : active_) {
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
  }
  for (auto& [easy, transfer] : pendingAdds_) curl_easy_cleanup(easy);
  pendingAdds_.clear();
  // Closes the pooled connections (through onCloseSocket).
  curl_multi_cleanup(multi_);
  multi_ = nullptr;
  curl_share_cleanup(share_);
  share_ = nullptr;
  for (auto& [s, w] : watches_) {
    w->gone = true;
    w->descriptor.release();
  }
  watches_.clear();
  timer_.reset();
  // Last: a transfer's destructor may call remove(), a no-op now.
  auto transfers = std::move(active_);
  transfers.clear();
}

CURL* CurlMulti::newEasy() {
  if (down_) return nullptr;
  CURL* easy = curl_easy_init();
  if (!easy) return nullptr;
  curl_easy_setopt(easy, CURLOPT_SHARE, share_);
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlMulti::onCloseSocket);
  // Pooled connections outlive the transfer that opened them: close
  // through the pool, not the transfer.
  curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
  return easy;
}

bool CurlMulti::add(CURL* easy, std::shared_ptr<CurlTransfer> transfer) {
  if (down_) {
    curl_easy_cleanup(easy);
    return false;
  }
  if (depth_ > 0) {
    pendingAdds_.emplace_back(easy, std::move(transfer));
    return true;
  }
  active_.emplace(easy, std::move(transfer));
  // curl answers with a 0 ms timer: the transfer starts on the next turn.
  curl_multi_add_handle(multi_, easy);
  return true;
}

void CurlMulti::remove(CURL* easy) {
  if (down_) return;
  if (depth_ > 0) {
    pendingRemovals_.push_back(easy);
    return;
  }
  drop(easy);
}

void CurlMulti::drop(CURL* easy) {
  for (auto it = pendingAdds_.begin(); it != pendingAdds_.end(); ++it) {
    if (it->first == easy) {
      curl_easy_cleanup(easy);
      pendingAdds_.erase(it);
      return;
    }
  }
  auto it = active_.find(easy);
  if (it == active_.end()) return;
  auto transfer = std::move(it->second);  // destroyed after the handle
  active_.erase(it);
  curl_multi_remove_handle(multi_, easy);
  curl_easy_cleanup(easy);
}

curl_socket_t CurlMulti::openSocket(const curl_sockaddr& address) {
  const int fd = ::socket(address.family, address.socktype | SOCK_CLOEXEC, address.protocol);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

int CurlMulti::onCloseSocket(void* self, curl_socket_t s) {
  static_cast<CurlMulti*>(self)->unwatch(s);
  return ::close(s);
}

int CurlMulti::onSocket(CURL* /*easy*/, curl_socket_t s, int what, void* self, void* /*socketData*/) {
  auto* multi = static_cast<CurlMulti*>(self);
  if (what == CURL_POLL_REMOVE) {
    multi->unwatch(s);
  } else {
    multi->watch(s, what);
  }
  return 0;
}

void CurlMulti::watch(curl_socket_t s, int what) {
  auto& w = watches_[s];
  if (!w) {
    w = std::make_shared<Watch>(io_);
    boost::system::error_code ec;
    w->descriptor.assign(s, ec);
    if (ec) {
      // Not watchable: curl's own timeouts end its transfer.
      watches_.erase(s);
      return;
    }
  }
  w->what = what;
  arm(w, s);
}

void CurlMulti::arm(const std::shared_ptr<Watch>& w, curl_socket_t s) {
  if ((w->what & CURL_POLL_IN) && !w->reading) {
    w->reading = true;
    w->descriptor.async_wait(asio::posix::descriptor_base::wait_read, [this, w, s](boost::system::error_code ec) {
      w->reading = false;
      if (ec || w->gone || !(w->what & CURL_POLL_IN)) return;
      act(s, CURL_CSELECT_IN);
      if (!w->gone) arm(w, s);
    });
  }
  if ((w->what & CURL_POLL_OUT) && !w->writing) {
    w->writing = true;
    w->descriptor.async_wait(asio::posix::descriptor_base::wait_write, [this, w, s](boost::system::error_code ec) {
      w->writing = false;
      if (ec || w->gone || !(w->what & CURL_POLL_OUT)) return;
      act(s, CURL_CSELECT_OUT);
      if (!w->gone) arm(w, s);
    });
  }
}

void CurlMulti::unwatch(curl_socket_t s) {
  auto it = watches_.find(s);
  if (it == watches_.end()) return;
  it->second->gone = true;
  // Cancels its waits (they see `gone`) and leaves the descriptor open.
  it->second->descriptor.release();
  watches_.erase(it);
}

int CurlMulti::onTimer(CURLM* /*multi*/, long timeoutMs, void* self) {  // NOLINT(google-runtime-int)
  auto* multi = static_cast<CurlMulti*>(self);
  if (!multi->timer_) return 0;
  if (timeoutMs < 0) {
    multi->timer_->cancel();
    return 0;
  }
  // Never call back into curl from inside its callback: even a 0 ms
  // timeout waits for the next turn of the loop.
  multi->timer_->expires_after(std::chrono::milliseconds(timeoutMs));
  multi->timer_->async_wait([multi](boost::system::error_code ec) {
    if (!ec) multi->act(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void CurlMulti::act(curl_socket_t s, int events) {
  if (down_) return;
  int running = 0;
  {
    // Balanced however curl returns (its callbacks do not throw: http_stream guards them).
    struct Depth {
      int& d;
      explicit Depth(int& depth) : d(depth) { ++d; }
      ~Depth() { --d; }
      Depth(const Depth&) = delete;
      Depth& operator=(const Depth&) = delete;
    } depth(depth_);
    curl_multi_socket_action(multi_, s, events, &running);
  }
  afterCurl();
}

void CurlMulti::afterCurl() {
  if (depth_ > 0 || down_) return;
  auto removals = std::move(pendingRemovals_);
  pendingRemovals_.clear();
  for (CURL* easy : removals) drop(easy);
  auto adds = std::move(pendingAdds_);
  pendingAdds_.clear();
  for (auto& [easy, transfer] : adds) add(easy, std::move(transfer));

  std::vector<std::pair<CURL*, CURLcode>> done;
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
    if (m->msg == CURLMSG_DONE) done.emplace_back(m->easy_handle, m->data.result);
  }
  for (auto [easy, code] : done) {
    auto it = active_.find(easy);
    if (it == active_.end()) continue;  // removed by an earlier one's handler
    auto transfer = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
    transfer->onCurlDone(code);
  }
}

}  // namespace convox::voice
