// uptake-bench's option checks: bounds, ranges and combinations.

#include "bench/bench_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uptake {
namespace {

Result<BenchOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "uptake-bench");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return ParseBenchOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(BenchOptionsTest, UnboundedRunRejected) {
  Result<BenchOptions> options = Parse({"--connections", "4"});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().find("unbounded run"), std::string::npos) << options.error();
}

TEST(BenchOptionsTest, EitherBoundAccepted) {
  EXPECT_TRUE(Parse({"--duration", "5"}).ok());
  EXPECT_TRUE(Parse({"--requests", "10"}).ok());
}

TEST(BenchOptionsTest, DurationAboveMaximumRejected) {
  EXPECT_FALSE(Parse({"--duration", "3601"}).ok());
  EXPECT_FALSE(Parse({"--duration", "0"}).ok());
}

TEST(BenchOptionsTest, SingleSetsBatchOfOne) {
  Result<BenchOptions> options = Parse({"--requests", "1", "--single"});
  ASSERT_TRUE(options.ok()) << options.error();
  EXPECT_EQ(options.value().batch, 1);
  EXPECT_FALSE(Parse({"--requests", "1", "--single", "--batch", "10"}).ok());
}

TEST(BenchOptionsTest, TrailingUnknownFlagNamed) {
  Result<BenchOptions> options = Parse({"--requests", "1", "--bogus"});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().find("unknown flag --bogus"), std::string::npos) << options.error();
}

TEST(BenchOptionsTest, UnknownFlagDoesNotTakeTheNextWord) {
  // A misspelt flag must not swallow the word after it as its value.
  Result<BenchOptions> options = Parse({"--singel", "--requests", "1"});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().find("unknown flag --singel"), std::string::npos) << options.error();
}

TEST(BenchOptionsTest, TrailingFlagWithoutValueNamed) {
  Result<BenchOptions> options = Parse({"--requests", "1", "--batch"});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().find("--batch needs a value"), std::string::npos) << options.error();
}

TEST(BenchOptionsTest, SwitchWithValueRejected) {
  Result<BenchOptions> options = Parse({"--requests", "1", "--single=no"});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.error().find("--single takes no value"), std::string::npos) << options.error();
}

TEST(BenchOptionsTest, ClonesNeedReplay) {
  EXPECT_FALSE(Parse({"--requests", "1", "--clones", "3"}).ok());
  EXPECT_TRUE(Parse({"--requests", "1", "--replay", "/tmp", "--clones", "3"}).ok());
}

TEST(BenchOptionsTest, AlertLatencyNeedsNoBound) {
  Result<BenchOptions> options = Parse({"--alert-latency", "10"});
  ASSERT_TRUE(options.ok()) << options.error();
  EXPECT_EQ(options.value().alert_latency, 10);
}

TEST(BenchOptionsTest, HelpWinsOverBadArguments) {
  Result<BenchOptions> options = Parse({"--forever", "--duration", "0", "--help", "--batch"});
  ASSERT_TRUE(options.ok()) << options.error();
  EXPECT_TRUE(options.value().help);
  // After "--", --help is an argument like any other.
  EXPECT_FALSE(Parse({"--duration", "1", "--", "--help"}).ok());
}

TEST(BenchOptionsTest, UnknownFlagRejected) {
  EXPECT_FALSE(Parse({"--requests", "1", "--forever"}).ok());
}

}  // namespace
}  // namespace uptake
