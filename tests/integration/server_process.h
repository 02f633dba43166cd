// Starts the real uptake binary on an ephemeral loopback port for a test.

#ifndef UPTAKE_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define UPTAKE_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace uptake::testing {

// A temporary folder removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes `text` to `path`, replacing it.
void WriteFile(const std::string& path, const std::string& text);

// One running `uptake serve` child process. Its log goes to a file in the
// data folder's parent, so a failing test can print it.
class ServerProcess {
 public:
  // Starts `uptake serve --config CONFIG --data-dir DATA --listen 127.0.0.1:0`,
  // without --config when `config_path` is empty, and waits until it logs
  // the port it listens on. Fails the calling test
  // (ADD_FAILURE) and leaves port() at 0 when it does not start within 20 s.
  ServerProcess(const std::string& config_path, const std::string& data_dir,
                const std::string& log_path);
  ~ServerProcess();

  uint16_t port() const { return port_; }

  // SIGTERM, then waits for the exit. Returns the exit status.
  int Stop();

  // SIGKILL, as a crash would.
  void Kill();

  // Sends `signal_number` to the server and returns at once.
  void Signal(int signal_number);

  // The log written so far.
  std::string Log() const;

  // Returns the server's resident set size (VmRSS) in bytes, read from
  // /proc/PID/status, or 0 when the process is gone.
  int64_t ResidentBytes() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

}  // namespace uptake::testing

#endif  // UPTAKE_TESTS_INTEGRATION_SERVER_PROCESS_H_
