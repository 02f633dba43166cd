// The request helpers of server/router.h that need no running services.

#include "server/router.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

namespace uptake {
namespace {

namespace http = boost::beast::http;

TEST(IsGetOrHeadTest, AcceptsOnlyGetAndHead) {
  EXPECT_TRUE(IsGetOrHead(http::verb::get));
  EXPECT_TRUE(IsGetOrHead(http::verb::head));
  EXPECT_FALSE(IsGetOrHead(http::verb::post));
  EXPECT_FALSE(IsGetOrHead(http::verb::options));
}

}  // namespace
}  // namespace uptake
