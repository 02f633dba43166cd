// Unit tests of the text log format's escaping of client-sent bytes.

#include "server/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace uptake {
namespace {

TEST(EscapeLogText, ControlCharacters) {
  struct Case {
    std::string text;
    std::string escaped;
  };
  const std::vector<Case> cases = {
      {"plain [account acme] text", "plain [account acme] text"},
      {"a\nb", "a\\x0ab"},
      {"a\r\nb", "a\\x0d\\x0ab"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"\x1b[2J", "\\x1b[2J"},
      {"bell\a", "bell\\x07"},
      {"tab\t", "tab\\x09"},
      {"del\x7f", "del\\x7f"},
      {"back\\slash", "back\\\\slash"},
      {"csi \xc2\x9b"
       "31m",
       "csi \\u009b31m"},
      {"c1 \xc2\x80 \xc2\x9f", "c1 \\u0080 \\u009f"},
      {"nbsp \xc2\xa0 caf\xc3\xa9 \xe2\x82\xac", "nbsp \xc2\xa0 caf\xc3\xa9 \xe2\x82\xac"},
      {"lone \x9b byte", "lone \\x9b byte"},
      {"cut \xe2\x82", "cut \\xe2\\x82"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.escaped);
    EXPECT_EQ(EscapeLogText(test_case.text), test_case.escaped);
  }
}

TEST(TextLogFormat, ForgedLineStaysOneRecord) {
  std::ostringstream output;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(output);
  auto logger = std::make_shared<spdlog::logger>("log_format_test", sink);
  spdlog::register_logger(logger);
  ASSERT_TRUE(ConfigureLogging(LogFormat::kText, "info"));

  logger->info("[account {}] went quiet",
               std::string("evil\x1b]0;pwned\a\r\nFIRING  critical  fake  line\0", 45));
  spdlog::drop("log_format_test");

  const std::string line = output.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_EQ(line.find('\0'), std::string::npos) << line;
  EXPECT_NE(line.find(" info [account evil\\x1b]0;pwned\\x07\\x0d\\x0aFIRING  critical  fake  "
                      "line\\x00] went quiet\n"),
            std::string::npos)
      << line;
}

}  // namespace
}  // namespace uptake
