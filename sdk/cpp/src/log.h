// The SDK's log file (setLogFile / setLogFilter / setLogFileSize). Lines never carry tokens or
// message payloads (design §7).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>

namespace openrtm {

class Log {
 public:
  ~Log();
  bool set_file(const char* path);
  void set_filter(int filter) { filter_ = filter; }
  bool set_size_kb(int kb);
  void info(const std::string& line) { write(0x0001, "INFO", line); }
  void warn(const std::string& line) { write(0x0002, "WARN", line); }
  void error(const std::string& line) { write(0x0004, "ERROR", line); }

 private:
  void write(int level_bit, const char* level, const std::string& line);
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  std::string path_;
  int filter_ = 0x000f;
  long max_bytes_ = 10240L * 1024;
};

}  // namespace openrtm
