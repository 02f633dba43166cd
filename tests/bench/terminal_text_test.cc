#include "bench/terminal_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uptake {
namespace {

TEST(EscapeForTerminal, ControlCharacters) {
  struct Case {
    std::string text;
    std::string escaped;
  };
  const std::vector<Case> cases = {
      {"acme is quiet", "acme is quiet"},
      {"a\r\nb", "a\\x0d\\x0ab"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"\x1b[2J\x1b]0;pwned\a", "\\x1b[2J\\x1b]0;pwned\\x07"},
      {"tab\t", "tab\\x09"},
      {"del\x7f", "del\\x7f"},
      {"back\\slash", "back\\\\slash"},
      {"csi \xc2\x9b"
       "31m",
       "csi \\u009b31m"},
      {"c1 \xc2\x80 \xc2\x9f", "c1 \\u0080 \\u009f"},
      {"nbsp \xc2\xa0 caf\xc3\xa9 \xe2\x82\xac", "nbsp \xc2\xa0 caf\xc3\xa9 \xe2\x82\xac"},
      {"cut \xc2", "cut \xc2"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.escaped);
    EXPECT_EQ(EscapeForTerminal(test_case.text), test_case.escaped);
  }
}

}  // namespace
}  // namespace uptake
