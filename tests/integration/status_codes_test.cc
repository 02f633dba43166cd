// The status code of every row of the ingest contract's table, per SDK
// family, against the real server.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

constexpr char kConfig[] = R"(
write_keys: [k1]
limits: {max_request_bytes: 4096, max_posthog_request_bytes: 4096,
         max_amplitude_request_bytes: 4096, max_event_bytes: 2048}
accounts: {group_type: company, mixpanel_property: company}
cors: {allowed_origins: ["http://127.0.0.1:9"]}
)";

struct Row {
  const char* name;
  const char* target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int status;
};

std::string Padding(size_t bytes) { return std::string(bytes, 'x'); }

const std::string kNow = "\"2026-01-01T00:00:00Z\"";

std::vector<Row> Rows() {
  const std::pair<std::string, std::string> json = {"Content-Type", "application/json"};
  const std::pair<std::string, std::string> basic = {"Authorization", BasicAuth("k1")};
  const std::pair<std::string, std::string> bad_basic = {"Authorization", BasicAuth("nope")};
  const std::string segment_event =
      R"({"type":"track","userId":"u","event":"E","messageId":"s1","context":{"groupId":"acme"}})";
  const std::string posthog_event =
      R"({"event":"E","distinct_id":"u","uuid":"p1","properties":{"$groups":{"company":"acme"}}})";
  const std::string amplitude_event =
      R"({"event_type":"E","user_id":"user-1","insert_id":"a1","groups":{"company":"acme"}})";
  const std::string mixpanel_event =
      R"({"event":"E","properties":{"distinct_id":"u","$insert_id":"m1","time":1767225600,"company":"acme"}})";
  const std::string big = Padding(5000);

  return {
      // Segment
      {"segment accepted", "/v1/batch", R"({"batch":[)" + segment_event + "]}", {json, basic}, 200},
      {"segment partly invalid",
       "/v1/batch",
       R"({"batch":[)" + segment_event + R"(,{"type":"track","event":"E"}]})",
       {json, basic},
       200},
      {"segment single invalid", "/v1/track", R"({"event":"E"})", {json, basic}, 400},
      {"segment malformed", "/v1/batch", R"({"batch":[)", {json, basic}, 400},
      {"segment empty batch", "/v1/batch", R"({"batch":[]})", {json, basic}, 400},
      {"segment too large",
       "/v1/batch",
       R"({"batch":[],"x":")" + big + R"("})",
       {json, basic},
       400},
      {"segment unknown key",
       "/v1/batch",
       R"({"batch":[)" + segment_event + "]}",
       {json, bad_basic},
       401},
      {"segment media type",
       "/v1/batch",
       "<xml/>",
       {{"Content-Type", "application/xml"}, basic},
       415},
      {"segment coding", "/v1/batch", "{}", {json, basic, {"Content-Encoding", "br"}}, 415},
      {"segment bad gzip",
       "/v1/batch",
       std::string("\x1f\x8b\x08\x00garbage", 11),
       {json, basic, {"Content-Encoding", "gzip"}},
       400},
      // PostHog
      {"posthog accepted",
       "/batch/",
       R"({"api_key":"k1","batch":[)" + posthog_event + "]}",
       {json},
       200},
      {"posthog capture", "/capture", R"({"api_key":"k1",)" + posthog_event.substr(1), {json}, 200},
      {"posthog beacon",
       "/e/?beacon=1",
       R"({"api_key":"k1","batch":[)" + posthog_event + "]}",
       {{"Content-Type", "text/plain"}},
       204},
      // A body that is one event is a single-event call on every capture
      // route. A batch or an array keeps batch semantics, even of one event.
      {"posthog capture single invalid",
       "/capture/",
       R"({"api_key":"k1","event":"E","uuid":"p2"})",
       {json},
       400},
      {"posthog e single invalid", "/e/", R"({"api_key":"k1","distinct_id":"u"})", {json}, 400},
      {"posthog i/v0/e single invalid",
       "/i/v0/e",
       R"({"api_key":"k1","event":"E","distinct_id":"u","timestamp":"not a time"})",
       {json},
       400},
      {"posthog batch of one invalid",
       "/capture/",
       R"({"api_key":"k1","batch":[{"event":"E"}]})",
       {json},
       200},
      {"posthog array of one invalid", "/e/", R"([{"api_key":"k1","event":"E"}])", {json}, 200},
      {"posthog malformed", "/batch", R"({"api_key":"k1","batch":[)", {json}, 400},
      {"posthog too large", "/i/v0/e/", R"({"api_key":"k1","x":")" + big + R"("})", {json}, 413},
      {"posthog unknown key",
       "/batch",
       R"({"api_key":"nope","batch":[)" + posthog_event + "]}",
       {json},
       401},
      {"posthog media type", "/batch", "{}", {{"Content-Type", "image/png"}}, 415},
      // Amplitude
      {"amplitude accepted",
       "/2/httpapi",
       R"({"api_key":"k1","events":[)" + amplitude_event + "]}",
       {json},
       200},
      {"amplitude batch route",
       "/batch",
       R"({"api_key":"k1","events":[)" + amplitude_event + "]}",
       {json},
       200},
      {"amplitude malformed", "/2/httpapi", R"({"api_key":"k1","events":[)", {json}, 400},
      {"amplitude too large",
       "/2/httpapi",
       R"({"api_key":"k1","events":[],"x":")" + big + R"("})",
       {json},
       413},
      {"amplitude unknown key",
       "/2/httpapi",
       R"({"api_key":"nope","events":[)" + amplitude_event + "]}",
       {json},
       401},
      {"amplitude media type", "/2/httpapi", "{}", {{"Content-Type", "text/csv"}}, 415},
      // Mixpanel
      {"mixpanel accepted", "/import", "[" + mixpanel_event + "]", {json, basic}, 200},
      {"mixpanel strict invalid",
       "/import?strict=1",
       "[" + mixpanel_event + R"(,{"event":"E","properties":{}}])",
       {json, basic},
       400},
      {"mixpanel malformed", "/import", "[{", {json, basic}, 400},
      {"mixpanel unknown key", "/import", "[" + mixpanel_event + "]", {json, bad_basic}, 401},
  };
}

TEST(StatusCodesTest, EveryRowPerFamily) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);

  for (const Row& row : Rows()) {
    SCOPED_TRACE(row.name);
    // A fresh connection per row, because some errors close the connection.
    HttpClient client(server.port());
    HttpReply reply = client.Post(row.target, row.body, row.headers);
    EXPECT_EQ(reply.status, row.status) << reply.body;
    EXPECT_LT(reply.status, 500) << "bad input must never get a 5xx";
  }
}

TEST(StatusCodesTest, PostHogSingleEventNamesError) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);

  const std::vector<std::pair<std::string, std::string>> json = {
      {"Content-Type", "application/json"}};
  HttpClient client(server.port());
  HttpReply reply = client.Post("/capture/", R"({"api_key":"k1","event":"E"})", json);
  ASSERT_EQ(reply.status, 400) << reply.body;
  simdjson::dom::parser parser;
  simdjson::dom::element answer = parser.parse(reply.body).value();
  EXPECT_EQ(std::string_view(answer["error"]), "missing_user");
  EXPECT_FALSE(std::string_view(answer["message"]).empty());
}

TEST(StatusCodesTest, CorsPreflightAndOrigin) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);

  HttpClient client(server.port());
  HttpReply allowed = client.Options("/v1/track", "http://127.0.0.1:9");
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.Header("Access-Control-Allow-Origin"), "http://127.0.0.1:9");
  EXPECT_EQ(allowed.Header("Vary"), "Origin");
  EXPECT_NE(allowed.Header("Access-Control-Allow-Headers").find("authorization"),
            std::string::npos);
  EXPECT_FALSE(allowed.Header("Access-Control-Max-Age").empty());

  HttpReply denied = client.Options("/v1/track", "http://evil.example");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.Header("Access-Control-Allow-Origin"), "");

  HttpReply post =
      client.Post("/v1/track", R"({"writeKey":"k1","userId":"u","event":"E","messageId":"c1"})",
                  {{"Content-Type", "text/plain"}, {"Origin", "http://127.0.0.1:9"}});
  EXPECT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(post.Header("Access-Control-Allow-Origin"), "http://127.0.0.1:9");
}

TEST(StatusCodesTest, WebSocketPathsNeedUpgrade) {
  TempDir dir;
  WriteFile(dir.path() + "/uptake.yaml", kConfig);
  ServerProcess server(dir.path() + "/uptake.yaml", dir.path() + "/data",
                       dir.path() + "/uptake.log");
  ASSERT_NE(server.port(), 0);
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/v1/alerts/stream").status, 426);
  EXPECT_EQ(client.Get("/v1/ingest").status, 426);
  EXPECT_EQ(client.Get("/v1/accounts/%C3").status, 400);
}

}  // namespace
}  // namespace uptake::testing
