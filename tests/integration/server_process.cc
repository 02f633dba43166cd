#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

namespace uptake::testing {

namespace {

// Reads one "Name:   N kB" field of /proc/PID/status as bytes, or 0.
int64_t StatusBytes(pid_t pid, const std::string& field) {
  if (pid <= 0) return 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const std::string prefix = field + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, prefix.size(), prefix) == 0) {
      return std::stoll(line.substr(prefix.size())) * 1024;
    }
  }
  return 0;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "uptake-test-XXXXXX").string();
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

ServerProcess::ServerProcess(const std::string& config_path, const std::string& data_dir,
                             const std::string& log_path)
    : log_path_(log_path) {
  // A restarted server appends to the same log; only lines written after
  // this point may announce its port.
  size_t log_start = Log().size();
  pid_ = fork();
  if (pid_ == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    if (config_path.empty()) {
      execl(UPTAKE_BINARY, UPTAKE_BINARY, "serve", "--data-dir", data_dir.c_str(), "--listen",
            "127.0.0.1:0", "--log-level", "debug", static_cast<char*>(nullptr));
    } else {
      execl(UPTAKE_BINARY, UPTAKE_BINARY, "serve", "--config", config_path.c_str(), "--data-dir",
            data_dir.c_str(), "--listen", "127.0.0.1:0", "--log-level", "debug",
            static_cast<char*>(nullptr));
    }
    _exit(127);
  }

  // The server logs "listening on 127.0.0.1:PORT" once it accepts
  // connections. Polling the log file is the only wait; the bound is there
  // so a server that never starts fails the test instead of hanging it.
  const std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    std::string log = Log().substr(log_start);
    if (std::regex_search(log, match, listening)) {
      port_ = static_cast<uint16_t>(std::stoi(match[1]));
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "uptake exited during startup:\n" << Log();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "uptake did not start within 20 s:\n" << Log();
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Kill();
}

int ServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void ServerProcess::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int64_t ServerProcess::ResidentBytes() const { return StatusBytes(pid_, "VmRSS"); }

}  // namespace uptake::testing
