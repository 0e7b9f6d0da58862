#include "limits.h"

#include <cstring>

#include "IAgoraRtmService.h"

namespace openrtm {

bool valid_app_id(const char* app_id) {
  if (app_id == nullptr || std::strlen(app_id) != 32) return false;
  for (const char* p = app_id; *p; ++p) {
    char c = *p;
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

namespace {
bool id_char(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  // ASCII whitespace of JavaScript's \s (the Unicode spaces are left out: see docs/cpp-sdk.md).
  if (c == ' ' || (c >= '\t' && c <= '\r')) return true;
  return std::strchr("!#$%&()+,.:;<=>?@[]^{|}~-", c) != nullptr && c != 0;
}
}  // namespace

bool valid_id(const char* id) {
  if (id == nullptr) return false;
  std::size_t n = std::strlen(id);
  if (n == 0 || n > 64 || std::strcmp(id, "null") == 0) return false;
  for (std::size_t i = 0; i < n; ++i)
    if (!id_char(static_cast<unsigned char>(id[i]))) return false;
  return true;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    unsigned int cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

bool malformed_end_call(const std::string& text) {
  static const std::string prefix = AGORA_RTM_ENDCALL_PREFIX;
  if (text.compare(0, prefix.size(), prefix) != 0) return false;
  auto first = text.find('_');
  if (first == std::string::npos || first != prefix.size()) return true;
  auto second = text.find('_', first + 1);
  if (second == std::string::npos) return true;
  if (text.find('_', second + 1) != std::string::npos) return true;
  std::string channel = text.substr(first + 1, second - first - 1);
  return !valid_id(channel.c_str());
}

bool RateLimit::take(Clock::time_point now) {
  while (!times_.empty() && now - times_.front() >= window_) times_.pop_front();
  if (times_.size() >= calls_) return false;
  times_.push_back(now);
  return true;
}

}  // namespace openrtm
