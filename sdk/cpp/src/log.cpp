#include "log.h"

#include <chrono>
#include <cstdio>

namespace openrtm {

Log::~Log() {
  if (file_) std::fclose(file_);
}

bool Log::set_file(const char* path) {
  if (path == nullptr || *path == '\0') return false;
  std::lock_guard<std::mutex> lock(mu_);
  std::FILE* f = std::fopen(path, "a");
  if (f == nullptr) return false;
  if (file_) std::fclose(file_);
  file_ = f;
  path_ = path;
  return true;
}

// Agora: a size in [512 KB, 1 GB]; the SDK keeps two files of that size.
bool Log::set_size_kb(int kb) {
  if (kb < 512 || kb > 1024 * 1024) return false;
  max_bytes_ = static_cast<long>(kb) * 1024;
  return true;
}

void Log::write(int level_bit, const char* level, const std::string& line) {
  // LOG_FILTER_* (spec §2.4): INFO 0x000f lets everything through, WARN 0x000e drops info,
  // ERROR 0x000c drops warnings too, CRITICAL 0x0008 and OFF 0 keep nothing we write.
  int allowed = level_bit == 1 ? 0x1 : level_bit == 2 ? 0x2 : 0x4;
  if ((filter_ & allowed) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return;
  if (std::ftell(file_) > max_bytes_) {  // keep one previous file, as Agora does
    std::fclose(file_);
    std::rename(path_.c_str(), (path_ + ".1").c_str());
    file_ = std::fopen(path_.c_str(), "w");
    if (file_ == nullptr) return;
  }
  long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::fprintf(file_, "%lld %s %s\n", ms, level, line.c_str());
  std::fflush(file_);
}

}  // namespace openrtm
