#include "bench/scale_options.h"

#include <string>
#include <string_view>
#include <vector>

#include "bench/command_line.h"

namespace uptake {

Result<ScaleOptions> ParseScaleOptions(int argc, char** argv, const ScaleOptions& defaults,
                                       ScaleFlags flags) {
  using Parsed = Result<ScaleOptions>;
  std::vector<std::string_view> valued = {"accounts", "users"};
  if (flags.days) valued.push_back("days");
  if (flags.timing) valued.insert(valued.end(), {"batch", "events"});
  Result<CommandLine> line = SplitCommandLine(argc, argv, {"json", "help"}, valued);
  if (!line.ok()) return Parsed::Error(line.error());
  if (!line.value().positional.empty()) {
    return Parsed::Error("unexpected argument \"" + line.value().positional[0] + "\"");
  }
  ScaleOptions options = defaults;
  for (const auto& [name, value] : line.value().flags) {
    Result<int64_t> number = Result<int64_t>::Ok(0);
    if (name == "json") {
      options.json = true;
    } else if (name == "help") {
      options.help = true;
    } else if (name == "accounts") {
      number = ParseIntFlag(name, value, 1, 10'000'000);
      if (number.ok()) options.accounts = number.value();
    } else if (name == "users") {
      number = ParseIntFlag(name, value, 1, 1000);
      if (number.ok()) options.users = number.value();
    } else if (name == "days" && flags.days) {
      number = ParseIntFlag(name, value, 1, 120);
      if (number.ok()) options.days = number.value();
    } else if (name == "batch" && flags.timing) {
      number = ParseIntFlag(name, value, 1, 100'000);
      if (number.ok()) options.batch = number.value();
    } else if (name == "events" && flags.timing) {
      number = ParseIntFlag(name, value, 1, 100'000'000);
      if (number.ok()) options.events = number.value();
    } else {
      return Parsed::Error("unknown flag --" + name + "; see --help");
    }
    if (!number.ok()) return Parsed::Error(number.error());
  }
  return Parsed::Ok(options);
}

}  // namespace uptake
