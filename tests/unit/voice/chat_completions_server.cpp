#include "chat_completions_server.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>

namespace convox::voice::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

ChatCompletionsServer::ChatCompletionsServer(asio::io_context& io, std::vector<ServerStep> steps, AfterScript after,
                                             bool readRequest)
    : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      socket_(io),
      timer_(io),
      steps_(std::move(steps)),
      after_(after) {
  acceptor_.async_accept(socket_, [this, readRequest](boost::system::error_code ec) {
    if (ec) return;
    socket_.set_option(tcp::no_delay(true));
    if (readRequest) {
      this->readRequest();
    } else {
      nextStep();
    }
  });
}

std::string ChatCompletionsServer::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/v1";
}

void ChatCompletionsServer::readRequest() {
  asio::async_read_until(socket_, buffer_, "\r\n\r\n", [this](boost::system::error_code ec, size_t headBytes) {
    if (ec) return;
    const std::string all(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
    const std::string head = all.substr(0, headBytes);
    size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (auto at = head.find(name); at != std::string::npos) length = std::stoul(head.substr(at + 16));
    }
    const size_t have = all.size() - headBytes;
    const size_t missing = length > have ? length - have : 0;
    asio::async_read(socket_, buffer_, asio::transfer_exactly(missing), [this](boost::system::error_code rec, size_t) {
      if (rec) return;
      request_.assign(asio::buffers_begin(buffer_.data()), asio::buffers_end(buffer_.data()));
      nextStep();
    });
  });
}

void ChatCompletionsServer::nextStep() {
  if (next_ == steps_.size()) {
    if (after_ == AfterScript::kClose) {
      boost::system::error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
      return;
    }
    // Hold: notice when the client gives up and closes.
    socket_.async_read_some(asio::buffer(sink_), [this](boost::system::error_code ec, size_t) {
      if (ec) {
        clientClosed_ = true;
        return;
      }
      nextStep();
    });
    return;
  }
  timer_.expires_after(steps_[next_].pauseBefore);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    asio::async_write(socket_, asio::buffer(steps_[next_].bytes), [this](boost::system::error_code wec, size_t) {
      if (wec) {
        clientClosed_ = true;
        return;
      }
      ++next_;
      nextStep();
    });
  });
}

std::string sseEvent(std::string_view payload) { return "data: " + std::string(payload) + "\n\n"; }

std::string httpChunk(std::string_view bytes) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return std::string(size) + std::string(bytes) + "\r\n";
}

std::string eventStreamHead() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
         "Transfer-Encoding: chunked\r\n\r\n";
}

std::string jsonResponse(int status, std::string_view reason, std::string_view body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

}  // namespace convox::voice::testing
