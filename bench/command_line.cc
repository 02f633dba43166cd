#include "bench/command_line.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

namespace uptake {
namespace {

std::string RangeError(std::string_view name, std::string_view value, std::string_view what) {
  return "invalid value \"" + std::string(value) + "\" for --" + std::string(name) + ": expected " +
         std::string(what);
}

}  // namespace

Result<CommandLine> SplitCommandLine(int argc, char** argv,
                                     const std::vector<std::string_view>& switches,
                                     const std::vector<std::string_view>& valued) {
  CommandLine line;
  if (std::find(switches.begin(), switches.end(), "help") != switches.end()) {
    for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i) {
      if (std::string_view(argv[i]) != "--help") continue;
      line.flags.emplace_back("help", "");
      return Result<CommandLine>::Ok(std::move(line));
    }
  }

  bool flags_ended = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (flags_ended || arg.substr(0, 2) != "--") {
      line.positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_ended = true;
      continue;
    }

    const std::string_view body = arg.substr(2);
    const size_t equals = body.find('=');
    const std::string name(body.substr(0, equals));
    const bool is_switch = std::find(switches.begin(), switches.end(), name) != switches.end();
    if (!is_switch && std::find(valued.begin(), valued.end(), name) == valued.end()) {
      return Result<CommandLine>::Error("unknown flag --" + name + "; see --help");
    }
    if (equals != std::string_view::npos) {
      if (is_switch) return Result<CommandLine>::Error("--" + name + " takes no value");
      line.flags.emplace_back(name, body.substr(equals + 1));
    } else if (is_switch) {
      line.flags.emplace_back(name, "");
    } else if (i + 1 < argc) {
      line.flags.emplace_back(name, argv[++i]);
    } else {
      return Result<CommandLine>::Error("--" + name + " needs a value; see --help");
    }
  }
  return Result<CommandLine>::Ok(std::move(line));
}

Result<int64_t> ParseIntFlag(std::string_view name, std::string_view value, int64_t min,
                             int64_t max) {
  int64_t number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size() || number < min ||
      number > max) {
    return Result<int64_t>::Error(RangeError(
        name, value, "an integer from " + std::to_string(min) + " to " + std::to_string(max)));
  }
  return Result<int64_t>::Ok(number);
}

Result<double> ParseNumberFlag(std::string_view name, std::string_view value, double min,
                               double max) {
  double number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size() ||
      !std::isfinite(number) || number < min || number > max) {
    std::ostringstream range;
    range << "a number from " << min << " to " << max;
    return Result<double>::Error(RangeError(name, value, range.str()));
  }
  return Result<double>::Ok(number);
}

int FinishOutput(int status) {
  // std::cout shares stdout's buffer (sync_with_stdio), so one fflush
  // writes both, and its errno gives the reason when it fails.
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (flushed && std::cout.good() && std::ferror(stdout) == 0) return status;
  std::fprintf(stderr, "error: some of the output could not be written%s%s\n", error ? ": " : "",
               error ? std::strerror(error) : "");
  return 1;
}

}  // namespace uptake
