#include "dispatcher.h"

namespace openrtm {

Dispatcher::Dispatcher() {
  thread_ = std::thread([this] { run(); });
  id_ = thread_.get_id();
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    queue_.push_back(std::move(fn));
  }
  cv_.notify_one();
}

void Dispatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (on_callback_thread()) {
    if (thread_.joinable()) thread_.detach();
    return;
  }
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
}

void Dispatcher::exit_after_current(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  exit_fn_ = std::move(fn);
}

void Dispatcher::run() {
  for (;;) {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
    if (exit_fn_) {
      auto last = std::move(exit_fn_);
      thread_.detach();
      last();  // may delete this: touch no member after it
      return;
    }
  }
}

}  // namespace openrtm
