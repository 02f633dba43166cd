// Fuzzes the config loader with the input as the contents of a YAML config
// file: YAML syntax, every section's validation, rules and webhooks.

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uptake;

  const std::string text(reinterpret_cast<const char*>(data), size);
  Config config;
  std::optional<ConfigError> error = LoadConfigText("fuzz.yaml", text, &config);
  if (error) {
    (void)error->ToString();
    return 0;
  }
  uptake::fuzz::Check(config.source_path == "fuzz.yaml", "a loaded config lost its path");
  return 0;
}
