#include "bench/alert_line.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uptake {
namespace {

std::string Change(const std::string& state, const std::string& change) {
  return R"({"id":1,"rule":"quiet","account_id":"acme","severity":"warning","state":")" + state +
         R"(","summary":"acme is quiet","seq":3,"change":")" + change + R"("})";
}

TEST(AlertLineTest, StreamChangesPrintTheirState) {
  struct Case {
    const char* state;
    const char* change;
    const char* label;
  };
  const std::vector<Case> cases = {
      {"firing", "fired", "FIRING"},
      {"firing", "acknowledged", "ACKNOWLEDGED"},
      {"firing", "escalated", "ESCALATED"},
      {"resolved", "resolved", "RESOLVED"},
  };
  for (const Case& test_case : cases) {
    SCOPED_TRACE(test_case.change);
    Result<std::string> line = FormatAlertLine(Change(test_case.state, test_case.change));
    ASSERT_TRUE(line.ok()) << line.error();
    EXPECT_EQ(line.value(), std::string(test_case.label) + "  warning  quiet  acme  acme is quiet");
  }
}

TEST(AlertLineTest, ListedAlertPrintsState) {
  Result<std::string> line = FormatAlertLine(
      R"({"rule":"quiet","account_id":"acme","severity":"info","state":"firing","summary":"s"})");
  ASSERT_TRUE(line.ok()) << line.error();
  EXPECT_EQ(line.value(), "FIRING  info  quiet  acme  s");
}

TEST(AlertLineTest, ResyncListsOpenAlerts) {
  Result<std::vector<std::string>> lines = FormatResyncLines(
      R"({"type":"resync","seq":12,"reason":"The cursor is newer than the newest alert change.",)"
      R"("open_alerts":[)" +
      Change("firing", "fired") + "]}");
  ASSERT_TRUE(lines.ok()) << lines.error();
  ASSERT_EQ(lines.value().size(), 2u);
  EXPECT_EQ(lines.value()[0],
            "RESYNC  after seq 12  The cursor is newer than the newest alert change.");
  EXPECT_EQ(lines.value()[1], "FIRING  warning  quiet  acme  acme is quiet");
}

TEST(AlertLineTest, ForgedLineIsEscaped) {
  // The JSON escapes of a groupId that tries to clear the screen, set the
  // window title and print a second alert.
  Result<std::string> line = FormatAlertLine(
      R"({"rule":"idle","account_id":"evil\u001b[2J\u001b]0;pwned\u0007\r\nFIRING  critical  )"
      R"(fake  line\u0000\u009b","severity":"warning","state":"firing","summary":"s\n"})");
  ASSERT_TRUE(line.ok()) << line.error();
  EXPECT_EQ(line.value(),
            "FIRING  warning  idle  evil\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0aFIRING  critical  "
            "fake  line\\x00\\u009b  s\\x0a");
}

TEST(AlertLineTest, ResyncReasonIsEscaped) {
  Result<std::vector<std::string>> lines =
      FormatResyncLines(R"({"type":"resync","seq":1,"reason":"gone\r\nFIRING","open_alerts":[]})");
  ASSERT_TRUE(lines.ok()) << lines.error();
  ASSERT_EQ(lines.value().size(), 1u);
  EXPECT_EQ(lines.value()[0], "RESYNC  after seq 1  gone\\x0d\\x0aFIRING");
}

TEST(AlertLineTest, AlertIsNotResync) {
  EXPECT_FALSE(FormatResyncLines(Change("firing", "fired")).ok());
  EXPECT_FALSE(FormatResyncLines("not json").ok());
}

}  // namespace
}  // namespace uptake
