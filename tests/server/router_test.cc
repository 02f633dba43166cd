// The request helpers of server/router.h that need no running services.

#include "server/router.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

namespace uptake {
namespace {

namespace http = boost::beast::http;

TEST(JoinFieldLinesTest, JoinsLinesInOrder) {
  http::fields fields;
  fields.insert(http::field::content_encoding, "gzip");
  fields.insert(http::field::content_type, "application/json");
  fields.insert(http::field::content_encoding, "deflate, identity");
  JoinFieldLines(fields, http::field::content_encoding);
  EXPECT_EQ(fields.count(http::field::content_encoding), 1u);
  EXPECT_EQ(fields[http::field::content_encoding], "gzip, deflate, identity");
  EXPECT_EQ(fields[http::field::content_type], "application/json");
}

TEST(JoinFieldLinesTest, SkipsEmptyLines) {
  http::fields fields;
  fields.insert(http::field::connection, "");
  fields.insert(http::field::connection, "keep-alive");
  fields.insert(http::field::connection, "");
  fields.insert(http::field::connection, "Upgrade");
  JoinFieldLines(fields, http::field::connection);
  EXPECT_EQ(fields.count(http::field::connection), 1u);
  EXPECT_EQ(fields[http::field::connection], "keep-alive, Upgrade");
}

TEST(JoinFieldLinesTest, LeavesSingleLine) {
  http::fields fields;
  fields.insert(http::field::content_encoding, "gzip,deflate");
  JoinFieldLines(fields, http::field::content_encoding);
  EXPECT_EQ(fields[http::field::content_encoding], "gzip,deflate");

  JoinFieldLines(fields, http::field::connection);
  EXPECT_EQ(fields.count(http::field::connection), 0u);
}

TEST(AcceptsEventStreamTest, FindsTheTypeInAList) {
  EXPECT_TRUE(AcceptsEventStream("text/event-stream"));
  EXPECT_TRUE(AcceptsEventStream("Text/Event-Stream"));
  EXPECT_TRUE(AcceptsEventStream("text/event-stream, */*"));
  EXPECT_TRUE(AcceptsEventStream("application/json;q=0.9, text/event-stream ; charset=utf-8"));
  EXPECT_TRUE(AcceptsEventStream("text/event-stream;q=0.5"));
}

TEST(AcceptsEventStreamTest, RefusesOtherTypesAndQZero) {
  EXPECT_FALSE(AcceptsEventStream(""));
  EXPECT_FALSE(AcceptsEventStream("*/*"));
  EXPECT_FALSE(AcceptsEventStream("text/*"));
  EXPECT_FALSE(AcceptsEventStream("text/event-streams"));
  EXPECT_FALSE(AcceptsEventStream("text/event-stream;q=0"));
  EXPECT_FALSE(AcceptsEventStream("text/event-stream; q=0.000, application/json"));
}

TEST(IsGetOrHeadTest, AcceptsOnlyGetAndHead) {
  EXPECT_TRUE(IsGetOrHead(http::verb::get));
  EXPECT_TRUE(IsGetOrHead(http::verb::head));
  EXPECT_FALSE(IsGetOrHead(http::verb::post));
  EXPECT_FALSE(IsGetOrHead(http::verb::options));
}

}  // namespace
}  // namespace uptake
