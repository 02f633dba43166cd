// WriteKeyRateLimiter: bucket size, cost in events, Retry-After rounding.
// Rates are slow enough that no refill happens during a test.

#include "server/rate_limiter.h"

#include <gtest/gtest.h>

namespace uptake {
namespace {

Config Limited(double rate, int64_t burst) {
  Config config;
  config.write_keys = {"limited", "free"};
  config.write_key_limits["limited"] = RateLimit{rate, burst};
  return config;
}

TEST(RateLimiterTest, BurstThenRetryAfter) {
  WriteKeyRateLimiter limiter(Limited(0.01, 3));
  EXPECT_EQ(limiter.Acquire("limited", 1), 0);
  EXPECT_EQ(limiter.Acquire("limited", 2), 0);
  // One token refills in 100 s.
  const int64_t wait = limiter.Acquire("limited", 1);
  EXPECT_GE(wait, 99);
  EXPECT_LE(wait, 100);
}

TEST(RateLimiterTest, RefusedRequestTakesNothing) {
  WriteKeyRateLimiter limiter(Limited(0.01, 3));
  EXPECT_EQ(limiter.Acquire("limited", 2), 0);
  EXPECT_GT(limiter.Acquire("limited", 2), 0);
  EXPECT_EQ(limiter.Acquire("limited", 1), 0);
}

TEST(RateLimiterTest, BatchLargerThanBurstFromFullBucket) {
  WriteKeyRateLimiter limiter(Limited(0.01, 3));
  EXPECT_EQ(limiter.Acquire("limited", 10), 0);
  // The bucket is 7 below zero, so one event waits for 8 tokens.
  EXPECT_GE(limiter.Acquire("limited", 1), 799);
}

TEST(RateLimiterTest, KeysWithoutLimitAlwaysPass) {
  WriteKeyRateLimiter limiter(Limited(0.01, 1));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(limiter.Acquire("free", 1000), 0);
}

TEST(RateLimiterTest, DefaultLimitAppliesToOtherKeys) {
  Config config = Limited(0.01, 1);
  config.write_key_rate_limit = RateLimit{0.01, 2};
  WriteKeyRateLimiter limiter(config);
  EXPECT_EQ(limiter.Acquire("free", 2), 0);
  EXPECT_GT(limiter.Acquire("free", 1), 0);
  EXPECT_EQ(limiter.Acquire("limited", 1), 0);
  EXPECT_GT(limiter.Acquire("limited", 1), 0);
}

TEST(RateLimiterTest, RetryAfterIsAtLeastOneSecond) {
  WriteKeyRateLimiter limiter(Limited(1000, 1));
  EXPECT_EQ(limiter.Acquire("limited", 1), 0);
  const int64_t wait = limiter.Acquire("limited", 1);
  // The bucket may have refilled in the time between the two calls, so 0 is
  // allowed, but a refusal asks for at least one whole second.
  EXPECT_TRUE(wait == 0 || wait == 1) << wait;
}

}  // namespace
}  // namespace uptake
