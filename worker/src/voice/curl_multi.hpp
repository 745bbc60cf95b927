#pragma once

// One libcurl multi handle per io_context, driven by that io_context: curl
// tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call
// it back (CURLMOPT_TIMERFUNCTION); asio waits on the sockets and the timer
// and calls curl_multi_socket_action when one is ready. Nothing blocks the
// thread and nothing polls. It is an asio service of the io_context, so each
// media thread has its own pool of keep-alive connections (and its own DNS
// and TLS session caches), shared by every request on that thread, and it
// is torn down with the io_context.
//
// The transfers' easy handles are owned here from add() on: removed from
// the multi and cleaned up when they end, when they are removed, or at
// shutdown. curl forbids removing a handle from inside its own callbacks;
// a removal asked for there happens right after curl returns.

#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace convox::voice {

class CurlTransfer {
 public:
  virtual ~CurlTransfer() = default;
  // The transfer ended (`code` as curl says); its easy handle is already
  // cleaned up. Not called for a transfer that was removed.
  virtual void onCurlDone(CURLcode code) = 0;
};

class CurlMulti final : public boost::asio::execution_context::service {
 public:
  static inline boost::asio::execution_context::id id;  // NOLINT: asio's service identity
  static CurlMulti& of(boost::asio::io_context& io) { return boost::asio::use_service<CurlMulti>(io); }

  explicit CurlMulti(boost::asio::io_context& io);
  ~CurlMulti() override;
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // A new easy handle with the pool's shared caches and its socket
  // callbacks set; nullptr after shutdown.
  CURL* newEasy();
  // Starts `easy` (from newEasy()); `transfer` is kept alive until it ends
  // or is removed. False after shutdown (the easy handle is cleaned up).
  bool add(CURL* easy, std::shared_ptr<CurlTransfer> transfer);
  // Abandons `easy` without onCurlDone: at once, or right after the curl
  // call in progress when called from inside a curl callback.
  void remove(CURL* easy);
  // Opens the socket of a connection curl is about to make (for an easy
  // handle's CURLOPT_OPENSOCKETFUNCTION, after its own checks).
  static curl_socket_t openSocket(const curl_sockaddr& address);

 private:
  struct Watch;

  void shutdown() override;
  static int onSocket(CURL* easy, curl_socket_t s, int what, void* self, void* socketData);
  static int onTimer(CURLM* multi, long timeoutMs, void* self);  // NOLINT(google-runtime-int): curl's type
  static int onCloseSocket(void* self, curl_socket_t s);
  void watch(curl_socket_t s, int what);
  void arm(const std::shared_ptr<Watch>& w, curl_socket_t s);
  void unwatch(curl_socket_t s);
  void act(curl_socket_t s, int events);
  void afterCurl();
  void drop(CURL* easy);

  // Passed by argument.
  boost::asio::io_context& io_;
  // Allocated by this.
  CURLM* multi_ = nullptr;
  CURLSH* share_ = nullptr;
  std::optional<boost::asio::steady_timer> timer_;
  std::unordered_map<curl_socket_t, std::shared_ptr<Watch>> watches_;
  std::unordered_map<CURL*, std::shared_ptr<CurlTransfer>> active_;
  // Others.
  int depth_ = 0;  // inside curl_multi_socket_action: no add or remove now
  std::vector<CURL*> pendingRemovals_;
  std::vector<std::pair<CURL*, std::shared_ptr<CurlTransfer>>> pendingAdds_;
  bool down_ = false;
};

}  // namespace convox::voice
