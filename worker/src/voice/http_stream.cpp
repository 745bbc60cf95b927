#include "voice/http_stream.hpp"

#include "voice/curl_multi.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace convox::voice {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string_view HttpResponseHead::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return {};
}

namespace {

std::optional<asio::ip::address> addressOf(const curl_sockaddr& a) {
  if (a.family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a.addr);
    return asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
  }
  if (a.family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
    asio::ip::address_v6::bytes_type bytes;
    std::copy_n(in6->sin6_addr.s6_addr, bytes.size(), bytes.begin());
    return asio::ip::address_v6(bytes, in6->sin6_scope_id);
  }
  return std::nullopt;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

class Exchange final : public HttpStream, public CurlTransfer, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(asio::io_context& io, std::string host, HttpStreamRequest request, HttpStreamHandlers handlers)
      : io_(io),
        multi_(CurlMulti::of(io)),
        timer_(io),
        host_(std::move(host)),
        request_(std::move(request)),
        handlers_(std::move(handlers)) {}

  ~Exchange() override {
    curl_slist_free_all(headers_);
    curl_mime_free(mime_);  // after the easy handle, which the pool cleaned up
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // "" once the transfer is handed to the pool; else why not.
  std::string start() {
    easy_ = multi_.newEasy();
    if (!easy_) return "the HTTP client is shut down";
    configure();
    if (!multi_.add(easy_, shared_from_this())) return "the HTTP client is shut down";
    timer_.expires_after(request_.connectTimeout);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->onTimer();
    });
    return "";
  }

  void cancel() override {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    multi_.remove(easy_);
    // Released later (what they hold may own this stream): cancel() may
    // run inside one of them.
    asio::post(io_, [self = shared_from_this()] { self->handlers_ = {}; });
  }

  void onCurlDone(CURLcode code) override {
    if (finished_) return;
    end(errorFor(code));
  }

 private:
  void configure() {
    curl_easy_setopt(easy_, CURLOPT_URL, request_.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(easy_, CURLOPT_USERAGENT, "convox");
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errorBuffer_.data());
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request_.connectTimeout.count()));
    // The system's CAs stay trusted (curl's CA path, /etc/ssl/certs on
    // Debian); caFile adds a private CA, as the Beast client did.
    if (!request_.caFile.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, request_.caFile.c_str());
    // Through a proxy the filter would see the proxy's address, not the
    // host's: a URL the operator does not trust goes direct.
    if (request_.refuse) curl_easy_setopt(easy_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETFUNCTION, &Exchange::onOpenSocket);
    curl_easy_setopt(easy_, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(easy_, CURLOPT_PREREQFUNCTION, &Exchange::onPrereq);
    curl_easy_setopt(easy_, CURLOPT_PREREQDATA, this);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Exchange::onHeaderLine);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Exchange::onBodyBytes);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);

    for (const auto& [name, value] : request_.headers) {
      std::string line = name;
      line += ": ";
      line += value;
      headers_ = curl_slist_append(headers_, line.c_str());
    }
    // No "Expect: 100-continue" wait before a large upload: the servers we
    // talk to answer the request directly.
    headers_ = curl_slist_append(headers_, "Expect:");
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);

    switch (request_.method) {
      case HttpMethod::kGet:
        curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
        break;
      case HttpMethod::kHead:
        curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
        break;
      case HttpMethod::kPost:
        if (!request_.form.empty()) {
          mime_ = curl_mime_init(easy_);
          for (const auto& p : request_.form) {
            curl_mimepart* part = curl_mime_addpart(mime_);
            curl_mime_name(part, p.name.c_str());
            curl_mime_data(part, p.data.data(), p.data.size());
            if (!p.filename.empty()) curl_mime_filename(part, p.filename.c_str());
            if (!p.contentType.empty()) curl_mime_type(part, p.contentType.c_str());
          }
          curl_easy_setopt(easy_, CURLOPT_MIMEPOST, mime_);
        } else {
          curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_.body.size()));
          curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request_.body.data());
        }
        break;
    }
  }

  // The address filter, on each address curl is about to connect to.
  static curl_socket_t onOpenSocket(void* p, curlsocktype /*purpose*/, curl_sockaddr* address) {
    auto* self = static_cast<Exchange*>(p);
    if (self->request_.refuse) {
      if (auto a = addressOf(*address)) {
        if (self->refused(*a)) return CURL_SOCKET_BAD;
      }
    }
    self->opened_ = true;
    return CurlMulti::openSocket(*address);
  }

  // Again on the connection the request goes out on, which may be a pooled
  // one opened by an earlier request.
  static int onPrereq(void* p, char* primaryIp, char* /*localIp*/, int /*primaryPort*/, int /*localPort*/) {
    auto* self = static_cast<Exchange*>(p);
    if (!self->request_.refuse) return CURL_PREREQFUNC_OK;
    boost::system::error_code ec;
    const auto a = asio::ip::make_address(primaryIp, ec);
    if (ec || self->refused(a)) {
      if (ec) self->refusal_ = "refused: cannot tell the address connected to";
      return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
  }

  bool refused(const asio::ip::address& a) {
    auto reason = request_.refuse(a);
    if (!reason) return false;
    if (refusal_.empty()) refusal_ = "refused: " + host_ + " is " + a.to_string() + ", " + *reason;
    return true;
  }

  // curl is C: nothing may unwind through it (its multi handle would be left
  // mid-call). A handler that throws ends this exchange with the reason.
  template <class F>
  static size_t guarded(Exchange* self, F&& f) {
    try {
      return f();
    } catch (const std::exception& e) {
      if (!self->finished_) self->timeOut(std::string("reading the response failed: ") + e.what());
      return 0;
    }
  }

  static size_t onHeaderLine(char* data, size_t size, size_t n, void* p) {
    auto* self = static_cast<Exchange*>(p);
    return guarded(self, [&] { return self->headerLine(data, size, n); });
  }

  size_t headerLine(char* data, size_t /*size*/, size_t n) {
    if (finished_) return 0;
    const std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {  // a status line: a new header block (after a 1xx)
      head_ = {};
      const size_t space = line.find(' ');
      if (space != std::string_view::npos) head_.status = std::strtoul(line.data() + space + 1, nullptr, 10);
    } else if (line == "\r\n" || line == "\n") {
      if (head_.status >= 200) headerDone();
    } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      head_.headers.emplace_back(std::move(name), trimmed(line.substr(colon + 1)));
    }
    return finished_ ? 0 : n;
  }

  void headerDone() {
    if (headerDone_) return;
    headerDone_ = true;
    lastBody_ = Clock::now();
    timer_.expires_after(request_.idleTimeout);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->onTimer();
    });
    if (handlers_.onStatus) handlers_.onStatus(head_.status);
    if (!finished_ && handlers_.onHead) handlers_.onHead(head_);
  }

  static size_t onBodyBytes(char* data, size_t size, size_t n, void* p) {
    auto* self = static_cast<Exchange*>(p);
    return guarded(self, [&] { return self->bodyBytes(data, size, n); });
  }

  size_t bodyBytes(char* data, size_t /*size*/, size_t n) {
    if (finished_) return 0;
    if (!headerDone_) headerDone();
    lastBody_ = Clock::now();
    if (!finished_ && n > 0 && handlers_.onBody) handlers_.onBody(std::string_view(data, n));
    return finished_ ? 0 : n;
  }

  // One timer for both waits: until the header, then (re-armed lazily, not
  // per chunk) until idleTimeout after the last body bytes.
  void onTimer() {
    if (finished_) return;
    if (!headerDone_) {
      return timeOut("timeout: no response within " + std::to_string(request_.connectTimeout.count()) + " ms");
    }
    const auto due = lastBody_ + request_.idleTimeout;
    if (Clock::now() >= due) {
      return timeOut("timeout: no data for " + std::to_string(request_.idleTimeout.count()) + " ms");
    }
    timer_.expires_at(due);
    timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->onTimer();
    });
  }

  void timeOut(const std::string& why) {
    auto keep = shared_from_this();
    multi_.remove(easy_);
    end(why);
  }

  std::string errorFor(CURLcode code) const {
    const std::string detail = errorBuffer_[0] != '\0' ? std::string(errorBuffer_.data()) : curl_easy_strerror(code);
    switch (code) {
      case CURLE_OK:
        return "";
      case CURLE_COULDNT_CONNECT:
        return !refusal_.empty() && !opened_ ? refusal_ : "connect: " + detail;
      case CURLE_ABORTED_BY_CALLBACK:
        return refusal_.empty() ? "aborted: " + detail : refusal_;
      case CURLE_COULDNT_RESOLVE_HOST:
        return "resolve: " + detail;
      case CURLE_OPERATION_TIMEDOUT:
        return headerDone_ ? "timeout: no data for " + std::to_string(request_.idleTimeout.count()) + " ms"
                           : "timeout: no response within " + std::to_string(request_.connectTimeout.count()) + " ms";
      case CURLE_PEER_FAILED_VERIFICATION:
        return "TLS handshake: certificate verify failed (" + detail + ")";
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
        return "TLS handshake: " + detail;
      case CURLE_GOT_NOTHING:
        return "read header: the connection closed before the response ended";
      case CURLE_PARTIAL_FILE:
        return "read: the connection closed before the response ended";
      case CURLE_RECV_ERROR:
        return headerDone_ ? "read: the connection closed before the response ended" : "read header: " + detail;
      case CURLE_SEND_ERROR:
        return "write: " + detail;
      default:
        return std::string(headerDone_ ? "read: " : "") + detail;
    }
  }

  void end(const std::string& error) {
    finished_ = true;
    timer_.cancel();
    auto handlers = std::move(handlers_);
    if (handlers.onEnd) handlers.onEnd(error);
  }

  // Passed by argument.
  asio::io_context& io_;
  CurlMulti& multi_;
  // Allocated by this.
  asio::steady_timer timer_;
  std::string host_;
  HttpStreamRequest request_;
  HttpStreamHandlers handlers_;
  curl_slist* headers_ = nullptr;
  curl_mime* mime_ = nullptr;
  std::array<char, CURL_ERROR_SIZE> errorBuffer_{};
  HttpResponseHead head_;
  // Others.
  CURL* easy_ = nullptr;  // owned by the pool once added
  std::string refusal_;
  bool opened_ = false;  // a socket passed the filter
  bool headerDone_ = false;
  bool finished_ = false;
  Clock::time_point lastBody_;
};

// Cancelling an invalid request's posted error.
class FailedStream final : public HttpStream {
 public:
  void cancel() override { *cancelled_ = true; }
  std::shared_ptr<bool> cancelled_ = std::make_shared<bool>(false);
};

std::shared_ptr<HttpStream> failed(asio::io_context& io, std::function<void(const std::string&)> onEnd,
                                   std::string error) {
  auto stream = std::make_shared<FailedStream>();
  asio::post(io, [cancelled = stream->cancelled_, onEnd = std::move(onEnd), error = std::move(error)] {
    if (!*cancelled && onEnd) onEnd(error);
  });
  return stream;
}

}  // namespace

std::shared_ptr<HttpStream> startHttpStream(asio::io_context& io, HttpStreamRequest request,
                                            HttpStreamHandlers handlers) {
  std::string error;
  auto target = common::parseHttpTarget(request.url, error);
  if (!target) return failed(io, std::move(handlers.onEnd), error);
  auto onEnd = handlers.onEnd;
  auto exchange = std::make_shared<Exchange>(io, target->host, std::move(request), std::move(handlers));
  error = exchange->start();
  if (!error.empty()) return failed(io, std::move(onEnd), error);
  return exchange;
}

void warmHttpConnection(asio::io_context& io, const std::string& url, const std::string& caFile,
                        common::AddressFilter refuse) {
  HttpStreamRequest request;
  request.url = url;
  request.method = HttpMethod::kHead;
  request.caFile = caFile;
  request.refuse = std::move(refuse);
  // The pool keeps the transfer alive until it ends; nobody waits for it.
  startHttpStream(io, std::move(request), {});
}

}  // namespace convox::voice
