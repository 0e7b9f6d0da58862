// The callback thread: every callback of the SDK runs here, one at a time, never on the
// caller's thread and never under a lock of the SDK, so that a callback may call back into the
// SDK (issue #16).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace openrtm {

class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void post(std::function<void()> fn);
  // Joins the thread. Callbacks not yet run are dropped. Called from the callback thread
  // itself, it only asks the thread to end (it cannot join itself).
  void stop();
  bool on_callback_thread() const { return std::this_thread::get_id() == id_; }
  // From the callback thread: once the current callback returns, stop, let go of the thread,
  // and run `fn` (which may destroy this Dispatcher).
  void exit_after_current(std::function<void()> fn);

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::function<void()> exit_fn_;
  std::thread thread_;
  std::thread::id id_;
};

}  // namespace openrtm
