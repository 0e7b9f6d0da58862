// The I/O side of the SDK: one thread running an event loop (the Reactor) and WebSocket links
// on it. This header names no Boost type: Beast and Asio are compiled in transport.cpp alone,
// so that the rest of the SDK builds fast (design §1: one heavy translation unit).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace openrtm {

// ws://HOST[:PORT]/PATH split up; wss:// is recognised but not spoken yet (docs/cpp-sdk.md).
struct WsUrl {
  bool secure = false;
  std::string host;
  std::string port;
  std::string target = "/";
};

// Parses a ws:// or wss:// URL; false when `text` is not one.
bool parse_ws_url(const std::string& text, WsUrl& out);

class Reactor {
 public:
  Reactor();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Starts the I/O thread; `tick` runs on it every `period` (the SDK's one sweeper for every
  // deadline: request timeouts, keepalive, login timeout, reconnection backoff).
  void start(std::chrono::milliseconds period, std::function<void()> tick);
  // Stops the loop and joins the thread; pending handlers are destroyed, never run.
  void stop();
  void post(std::function<void()> fn);
  bool on_io_thread() const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One WebSocket connection. Every method may be called from any thread (work is posted to the
// I/O thread); every event is delivered on the I/O thread, and on_closed exactly once.
class WsLink {
 public:
  struct Events {
    std::function<void()> on_open;
    std::function<void(std::string&&)> on_text;
    // Any frame from the server, pongs included: the link is alive.
    std::function<void()> on_activity;
    // The close code the server sent, or -1 when the link ended without one.
    std::function<void(int)> on_closed;
  };

  virtual ~WsLink() = default;
  virtual void send(std::string text) = 0;
  virtual void ping() = 0;
  // A close handshake with `code`; the link then reports on_closed.
  virtual void close(int code) = 0;
  // Ends the link at once, without a close frame (a dead link).
  virtual void drop() = 0;
  // Stops delivering events: the owner has moved on from this link.
  virtual void detach() = 0;

  static std::shared_ptr<WsLink> open(Reactor& reactor, const WsUrl& url, Events events,
                                      std::chrono::milliseconds connect_timeout);
};

}  // namespace openrtm
