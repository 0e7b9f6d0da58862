// Argument rules and call-frequency limits checked before sending (spec §5, protocol §3.20 and
// §9.1), so that a refusal comes back synchronously with the spec's code.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>

namespace openrtm {

constexpr std::size_t kMaxMessageBytes = 32768;  // spec §5.2
constexpr int kMaxJoinedChannels = 20;           // spec §5.5

// Spec §5.1 / protocol §3.1: an App ID is 32 ASCII letters and digits.
bool valid_app_id(const char* app_id);
// Spec §5.1: a uid or channel id is 1-64 characters of the Web SDK's set, never "null".
bool valid_id(const char* id);
bool valid_utf8(const std::string& text);
// Protocol §3.4: a TEXT peer message starting with the end-call prefix must be
// "<prefix>_<channelId>_<info>".
bool malformed_end_call(const std::string& text);

using Clock = std::chrono::steady_clock;

// At most `calls` in any `window` (spec §5.4): a sliding window over the accepted calls.
class RateLimit {
 public:
  RateLimit(std::size_t calls, std::chrono::milliseconds window) : calls_(calls), window_(window) {}
  // Counts the call and returns true, or returns false (and counts nothing) when over.
  bool take(Clock::time_point now = Clock::now());

 private:
  std::size_t calls_;
  std::chrono::milliseconds window_;
  std::deque<Clock::time_point> times_;
};

}  // namespace openrtm
