#include "voice/chat_stream.hpp"
#include "voice/provider_socket.hpp"

#include "common/address_policy.hpp"
#include "voice/sse_parser.hpp"

#include <boost/beast/core/string.hpp>

#include <chrono>
#include <cmath>

namespace convox::voice {

namespace {

constexpr size_t kMaxErrorBody = size_t{16} * 1024;
constexpr size_t kMaxRetryAfter = 32;

// An error text never carries the key, even when a server echoes it.

class Exchange final : public ChatStream, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::string label, std::string apiKey, std::unique_ptr<ChatEventDecoder> decoder, ReplyCallbacks callbacks,
           ModelUsage usage, UsageSink cutReplyUsage, std::shared_ptr<TokenCalibration> calibration)
      : label_(std::move(label)),
        apiKey_(std::move(apiKey)),
        decoder_(std::move(decoder)),
        callbacks_(std::move(callbacks)),
        usage_(std::move(usage)),
        cutReplyUsage_(std::move(cutReplyUsage)),
        calibration_(std::move(calibration)) {}

  void start(boost::asio::io_context& io, HttpStreamRequest request) {
    requestBytes_ = request.body.size();
    // The handlers hold the exchange, not the model: a model destroyed
    // mid-reply cancels it and nothing dangles.
    auto self = shared_from_this();
    HttpStreamHandlers handlers;
    handlers.onHead = [self](const HttpResponseHead& head) {
      const auto value = head.header("retry-after");
      if (!value.empty()) self->retryAfter_ = value.substr(0, kMaxRetryAfter);
    };
    handlers.onStatus = [self](unsigned status) { self->status_ = status; };
    handlers.onBody = [self](std::string_view bytes) { self->onBody(bytes); };
    handlers.onEnd = [self](const std::string& error) { self->onEnd(error); };
    auto http = startHttpStream(io, std::move(request), std::move(handlers));
    if (!finished_) http_ = std::move(http);
  }

  void cancel() override {
    const bool cut = !finished_;
    finished_ = true;  // no callback follows
    callbacks_ = {};
    if (http_) http_->cancel();
    http_.reset();
    if (cut) reportCutUsage();
  }

 private:
  bool httpError() const { return status_ != 0 && (status_ < 200 || status_ >= 300); }

  int64_t elapsedMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
  }

  void onBody(std::string_view bytes) {
    if (finished_) return;
    if (httpError()) {
      errorBody_.append(bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, errorBody_.size())));
      return;
    }
    std::string error;
    const auto onText = [this](std::string_view text) {
      if (usage_.firstTokenMs < 0) usage_.firstTokenMs = elapsedMs();
      // A copy: the callback may cancel(), which drops `callbacks_`.
      auto cb = callbacks_.onText;
      if (cb && !finished_) cb(text);
    };
    const bool ok = sse_.feed(
        bytes,
        [&](std::string_view data) {
          if (finished_ || !error.empty() || decoder_->done()) return;
          decoder_->onData(data, onText, error);
        },
        error);
    if (finished_) return;  // cancelled from onText
    if (!ok || !error.empty()) return finish(error);
    if (!toolCallStarted_ && decoder_->callingTools()) {
      toolCallStarted_ = true;
      if (usage_.firstTokenMs < 0) usage_.firstTokenMs = elapsedMs();
      auto cb = callbacks_.onToolCallStarted;
      if (cb) cb();
      if (finished_) return;
    }
    if (decoder_->done()) finish("");
  }

  void onEnd(const std::string& transportError) {
    if (finished_) return;
    if (httpError()) {
      std::string text = "HTTP " + std::to_string(status_);
      if (!retryAfter_.empty()) text += " (retry after " + retryAfter_ + " s)";
      return finish(text + ": " + decoder_->errorFromBody(errorBody_));
    }
    if (!transportError.empty()) return finish(transportError);
    finish(decoder_->endedWithoutDone());
  }

  void finish(const std::string& error) {
    if (finished_) return;
    finished_ = true;
    if (http_) http_->cancel();
    http_.reset();
    usage_.totalMs = elapsedMs();
    decoder_->addUsage(usage_);
    calibrate();
    // A reply the server accepted and then broke off (a cut connection, an
    // idle timeout, an error event) is billed for what it streamed.
    if (!error.empty() && accepted()) estimateMissing(usage_);
    auto cb = std::move(callbacks_);
    std::string finalError = error;
    if (finalError.empty()) {
      std::vector<ModelAction> actions;
      if (decoder_->actions(actions, finalError)) {
        for (const auto& a : actions) {
          if (cb.onAction) cb.onAction(a);
        }
      }
    }
    if (!finalError.empty()) finalError = label_ + ": " + finalError;
    if (cb.onDone) cb.onDone(usage_, redactSecret(finalError, apiKey_));
  }

  // A complete reply's counts set the ratios its model's cut replies are
  // estimated with.
  void calibrate() {
    if (usage_.inputTokens > 0 && requestBytes_ > 0) {
      calibration_->inputPerByte = static_cast<double>(usage_.inputTokens) / static_cast<double>(requestBytes_);
    }
    if (const size_t bytes = decoder_->outputBytes(); usage_.outputTokens > 0 && bytes > 0) {
      calibration_->outputPerByte = static_cast<double>(usage_.outputTokens) / static_cast<double>(bytes);
    }
  }

  bool accepted() const { return status_ >= 200 && status_ < 300; }

  // The counts the stream had not given, estimated (and only those marked so).
  void estimateMissing(ModelUsage& used) const {
    const auto estimate = [](size_t bytes, double perByte) {
      return static_cast<int64_t>(std::ceil(static_cast<double>(bytes) * perByte));
    };
    if (used.inputTokens == 0) {
      used.inputTokens = estimate(requestBytes_, calibration_->inputPerByte);
      used.inputEstimated = true;
    }
    if (used.outputTokens == 0) {
      used.outputTokens = estimate(decoder_->outputBytes(), calibration_->outputPerByte);
      used.outputEstimated = true;
    }
  }

  void reportCutUsage() {
    // Before the server accepted the request, nothing is billed.
    if (!cutReplyUsage_ || !accepted()) return;
    ModelUsage used = usage_;
    decoder_->addUsage(used);
    estimateMissing(used);
    reportModelUsage(cutReplyUsage_, used);
  }

  std::string label_;
  std::string apiKey_;  // only to redact it from errors
  std::unique_ptr<ChatEventDecoder> decoder_;
  ReplyCallbacks callbacks_;
  ModelUsage usage_;
  UsageSink cutReplyUsage_;
  std::shared_ptr<TokenCalibration> calibration_;
  size_t requestBytes_ = 0;
  SseParser sse_;
  std::shared_ptr<HttpStream> http_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  unsigned status_ = 0;
  std::string retryAfter_;
  std::string errorBody_;
  bool finished_ = false;
  bool toolCallStarted_ = false;
};

common::AddressFilter addressFilter(const ChatModelSettings& settings) {
  if (!settings.publicAddressesOnly) return nullptr;
  return publicAddressesOnly("a base_url the operator does not trust (not in <PREFIX>_KEY_ORIGINS)");
}

}  // namespace

bool ReplyBudget::take(size_t bytes, std::string& error) {
  used_ += bytes;
  if (used_ <= maxBytes_) return true;
  error = "the reply is longer than " + std::to_string(maxBytes_ / 1024) + " KiB; cut";
  return false;
}

std::shared_ptr<ChatStream> startChatStream(boost::asio::io_context& io, const ChatModelSettings& settings,
                                            ChatStreamRequest request, std::unique_ptr<ChatEventDecoder> decoder,
                                            ReplyCallbacks callbacks, std::shared_ptr<TokenCalibration> calibration) {
  ModelUsage usage;
  usage.provider = settings.provider;
  usage.model = settings.model;
  auto exchange =
      std::make_shared<Exchange>(std::move(request.label), settings.apiKey, std::move(decoder), std::move(callbacks),
                                 std::move(usage), settings.cutReplyUsage, std::move(calibration));
  HttpStreamRequest http;
  http.url = std::move(request.url);
  http.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  for (auto& h : request.headers) http.headers.push_back(std::move(h));
  http.body = std::move(request.body);
  http.connectTimeout = settings.connectTimeout;
  http.idleTimeout = settings.idleTimeout;
  http.caFile = settings.caFile;
  http.refuse = addressFilter(settings);
  exchange->start(io, std::move(http));
  return exchange;
}

void warmChatConnection(boost::asio::io_context& io, const ChatModelSettings& settings) {
  warmHttpConnection(io, settings.baseUrl + "/", settings.caFile, addressFilter(settings));
}

}  // namespace convox::voice
