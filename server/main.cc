// The uptake command: `uptake serve` runs the server, `uptake check-config`
// validates a config file.

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"
#include "server/log_format.h"
#include "server/server.h"

namespace {

constexpr char kUsage[] =
    R"(uptake: real-time usage telemetry and churn alerts for customer-success teams

Usage:
  uptake serve [--config FILE] [--data-dir DIR] [--listen HOST:PORT] [--log-level LEVEL]
               [--log-format FORMAT]
  uptake check-config FILE
  uptake --help | --version

serve         Run the server. Without --config it uses the built-in defaults:
              listen on 127.0.0.1:8080, data in ./data, wall clock, and the
              development write key "dev".
check-config  Validate FILE and print the first error, or "ok".

Options for serve (each overrides the same setting of the config file; write
them as --option VALUE or --option=VALUE):
  --config FILE        YAML config file; see docs/configuration.md
  --data-dir DIR       folder of the RocksDB database, created when missing
  --listen HOST:PORT   address to listen on; port 0 picks a free port
  --log-level LEVEL    trace, debug, info (default), warn, error or off
  --log-format FORMAT  text (default) or json, one JSON object per line
)";

void PrintUsageError(const std::string& message) {
  std::fprintf(stderr, "uptake: %s\nRun 'uptake --help' for usage.\n", message.c_str());
}

// Flushes stdout and returns `status`, or 1 after a message on stderr when
// some of the output could not be written (to a full disk, say), so that a
// script does not take cut-off output for whole output.
int FinishStdout(int status) {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && std::ferror(stdout) == 0) return status;
  std::fprintf(stderr, "uptake: writing to stdout failed: %s\n",
               error != 0 ? std::strerror(error) : "unknown error");
  return 1;
}

bool IsHelp(std::string_view argument) { return argument == "--help" || argument == "-h"; }

int CheckConfig(int argc, char** argv) {
  if (argc == 3 && IsHelp(argv[2])) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc != 3) {
    PrintUsageError("check-config takes exactly one FILE");
    return 2;
  }
  uptake::Config config;
  if (auto error = uptake::LoadConfigFile(argv[2], &config)) {
    std::fprintf(stderr, "%s\n", error->ToString().c_str());
    return 1;
  }
  std::printf("ok: %s (%zu features, %zu rules)\n", argv[2], config.features.size(),
              config.rules.size());
  return 0;
}

int Serve(int argc, char** argv) {
  std::string config_path;
  std::string data_dir;
  std::string listen;
  std::string log_level;
  std::string log_format;
  const std::pair<std::string_view, std::string*> options[] = {
      {"--config", &config_path},  {"--data-dir", &data_dir},     {"--listen", &listen},
      {"--log-level", &log_level}, {"--log-format", &log_format},
  };

  for (int i = 2; i < argc; ++i) {
    std::string_view argument = argv[i];
    if (IsHelp(argument)) {
      std::fputs(kUsage, stdout);
      return FinishStdout(0);
    }
    std::string_view flag = argument.substr(0, argument.find('='));
    std::string* target = nullptr;
    for (const auto& [name, value] : options) {
      if (name == flag) target = value;
    }
    if (target == nullptr) {
      PrintUsageError("unknown option " + std::string(flag));
      return 2;
    }

    if (flag.size() < argument.size()) {
      *target = std::string(argument.substr(flag.size() + 1));
    } else if (i + 1 < argc) {
      *target = argv[++i];
    } else {
      PrintUsageError("option " + std::string(flag) + " needs a value");
      return 2;
    }
    if (target->empty()) {
      PrintUsageError("option " + std::string(flag) + " needs a non-empty value");
      return 2;
    }
  }

  if (!log_format.empty() && log_format != "text" && log_format != "json") {
    PrintUsageError("invalid --log-format '" + log_format + "'; expected text or json");
    return 2;
  }
  if (!log_level.empty() && !uptake::ConfigureLogging(uptake::LogFormat::kText, log_level)) {
    PrintUsageError("invalid --log-level '" + log_level + "'");
    return 2;
  }

  uptake::Config config;
  if (!config_path.empty()) {
    if (auto error = uptake::LoadConfigFile(config_path, &config)) {
      std::fprintf(stderr, "uptake: invalid config: %s\n", error->ToString().c_str());
      return 1;
    }
  }
  // Flags override the config file's log section.
  if (!log_level.empty()) config.log_level = log_level;
  if (!log_format.empty()) {
    config.log_format = log_format == "json" ? uptake::LogFormat::kJson : uptake::LogFormat::kText;
  }
  if (!uptake::ConfigureLogging(config.log_format, config.log_level)) {
    PrintUsageError("invalid log level '" + config.log_level + "'");
    return 2;
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!listen.empty() &&
      !uptake::ParseListenAddress(listen, &config.listen_host, &config.listen_port)) {
    uptake::ConfigError error{"--listen", 0, "listen",
                              "invalid address '" + listen + "'; expected HOST:PORT"};
    std::fprintf(stderr, "uptake: invalid config: %s\n", error.ToString().c_str());
    return 1;
  }
  return uptake::RunServer(config);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return FinishStdout(0);
  }
  if (command == "--version") {
    std::printf("uptake 0.1.0\n");
    return FinishStdout(0);
  }
  if (command == "serve") return Serve(argc, argv);
  if (command == "check-config") return FinishStdout(CheckConfig(argc, argv));
  PrintUsageError("unknown command '" + std::string(command) + "'");
  return 2;
}
