// Boost.Asio event loop and Boost.Beast WebSocket client: the only translation unit that
// includes them (see transport.h).
#include "transport.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <thread>

namespace openrtm {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

bool parse_ws_url(const std::string& text, WsUrl& out) {
  std::string rest;
  if (text.rfind("ws://", 0) == 0) {
    out.secure = false;
    rest = text.substr(5);
  } else if (text.rfind("wss://", 0) == 0) {
    out.secure = true;
    rest = text.substr(6);
  } else {
    return false;
  }
  auto slash = rest.find('/');
  std::string authority = slash == std::string::npos ? rest : rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty()) return false;
  if (authority.front() == '[') {  // [IPv6]:port
    auto close = authority.find(']');
    if (close == std::string::npos) return false;
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    out.port = after.empty() ? "" : after.substr(1);
  } else {
    auto colon = authority.rfind(':');
    out.host = colon == std::string::npos ? authority : authority.substr(0, colon);
    out.port = colon == std::string::npos ? "" : authority.substr(colon + 1);
  }
  if (out.port.empty()) out.port = out.secure ? "443" : "80";
  return !out.host.empty();
}

struct Reactor::Impl {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
  asio::steady_timer ticker{ioc};
  std::chrono::milliseconds period{50};
  std::function<void()> tick;
  std::thread thread;
  std::thread::id thread_id;

  void arm() {
    ticker.expires_after(period);
    ticker.async_wait([this](beast::error_code ec) {
      if (ec) return;
      tick();
      arm();
    });
  }
};

Reactor::Reactor() : impl_(std::make_unique<Impl>()) {}

Reactor::~Reactor() { stop(); }

void Reactor::start(std::chrono::milliseconds period, std::function<void()> tick) {
  impl_->period = period;
  impl_->tick = std::move(tick);
  impl_->arm();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
  impl_->thread_id = impl_->thread.get_id();
}

void Reactor::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->ioc.stop();
  impl_->thread.join();
}

void Reactor::post(std::function<void()> fn) { asio::post(impl_->ioc, std::move(fn)); }

bool Reactor::on_io_thread() const { return std::this_thread::get_id() == impl_->thread_id; }

namespace {

class BeastLink final : public WsLink, public std::enable_shared_from_this<BeastLink> {
 public:
  BeastLink(asio::io_context& ioc, WsUrl url, Events events)
      : ioc_(ioc), resolver_(ioc), ws_(ioc), url_(std::move(url)), events_(std::move(events)), timer_(ioc) {}

  void start(std::chrono::milliseconds connect_timeout) {
    auto self = shared_from_this();
    // Spec §3.1 / protocol §9.3: each attempt to connect and upgrade is bounded.
    timer_.expires_after(connect_timeout);
    timer_.async_wait([self](beast::error_code ec) {
      if (!ec && !self->open_) self->fail(-1);
    });
    resolver_.async_resolve(url_.host, url_.port, [self](beast::error_code ec, tcp::resolver::results_type results) {
      if (ec) return self->fail(-1);
      beast::get_lowest_layer(self->ws_).async_connect(
          results, [self](beast::error_code ec2, const tcp::endpoint&) { self->on_connect(ec2); });
    });
  }

  void send(std::string text) override {
    auto self = shared_from_this();
    asio::post(ioc_, [self, text = std::move(text)]() mutable {
      if (self->ended_ || self->closing_) return;  // nothing goes after a close frame
      self->queue_.push_back(std::move(text));
      if (self->open_ && self->queue_.size() == 1) self->write_next();
    });
  }

  void ping() override {
    auto self = shared_from_this();
    asio::post(ioc_, [self] {
      // Beast allows one ping at a time (and one close): a ping still out is enough.
      if (self->ended_ || !self->open_ || self->closing_ || self->pinging_) return;
      self->pinging_ = true;
      self->ws_.async_ping({}, [self](beast::error_code ec) {
        self->pinging_ = false;
        if (ec) self->fail(-1);
      });
    });
  }

  void close(int code) override {
    auto self = shared_from_this();
    asio::post(ioc_, [self, code] {
      if (self->ended_ || self->closing_) return;  // one close per link
      if (!self->open_) return self->fail(-1);
      self->closing_ = true;
      self->close_code_ = code;
      if (self->queue_.empty()) self->do_close();
    });
  }

  void drop() override {
    auto self = shared_from_this();
    asio::post(ioc_, [self] { self->fail(-1); });
  }

  void detach() override {
    auto self = shared_from_this();
    asio::post(ioc_, [self] { self->events_ = Events{}; });
  }

 private:
  void on_connect(beast::error_code ec) {
    if (ended_) return;
    if (ec) return fail(-1);
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true));
    auto self = shared_from_this();
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "openrtm-cpp/0.1.0");
    }));
    // Protocol §1: 256 KiB per message at most, both ways.
    ws_.read_message_max(262144);
    ws_.control_callback([this](websocket::frame_type, beast::string_view) {
      if (events_.on_activity) events_.on_activity();
    });
    ws_.async_handshake(url_.host + ":" + url_.port, url_.target, [self](beast::error_code ec2) {
      if (self->ended_) return;
      if (ec2) return self->fail(-1);
      self->open_ = true;
      self->timer_.cancel();
      if (self->events_.on_open) self->events_.on_open();
      self->read();
      if (!self->queue_.empty()) self->write_next();
      else if (self->closing_) self->do_close();
    });
  }

  void read() {
    auto self = shared_from_this();
    ws_.async_read(buffer_, [self](beast::error_code ec, std::size_t) {
      if (self->ended_) return;
      if (ec) {
        int code = -1;
        if (ec == websocket::error::closed) code = static_cast<int>(self->ws_.reason().code);
        return self->fail(code);
      }
      std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      if (self->events_.on_activity) self->events_.on_activity();
      // Protocol §1: only text frames carry messages.
      if (self->ws_.got_text() && self->events_.on_text) self->events_.on_text(std::move(text));
      self->read();
    });
  }

  void write_next() {
    auto self = shared_from_this();
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()), [self](beast::error_code ec, std::size_t) {
      if (self->ended_) return;
      if (ec) return self->fail(-1);
      self->queue_.pop_front();
      if (!self->queue_.empty()) self->write_next();
      else if (self->closing_) self->do_close();
    });
  }

  void do_close() {
    auto self = shared_from_this();
    websocket::close_reason reason(static_cast<websocket::close_code>(close_code_));
    ws_.async_close(reason, [self](beast::error_code) { self->fail(self->close_code_); });
  }

  void fail(int code) {
    if (ended_) return;
    ended_ = true;
    timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    auto on_closed = std::move(events_.on_closed);
    events_ = Events{};
    if (on_closed) on_closed(code);
  }

  asio::io_context& ioc_;
  tcp::resolver resolver_;
  websocket::stream<beast::tcp_stream> ws_;
  WsUrl url_;
  Events events_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool open_ = false;
  bool closing_ = false;
  bool pinging_ = false;
  bool ended_ = false;
  int close_code_ = 1000;
};

}  // namespace

std::shared_ptr<WsLink> WsLink::open(Reactor& reactor, const WsUrl& url, Events events,
                                     std::chrono::milliseconds connect_timeout) {
  auto link = std::make_shared<BeastLink>(reactor.impl_->ioc, url, std::move(events));
  reactor.post([link, connect_timeout] { link->start(connect_timeout); });
  return link;
}

}  // namespace openrtm
