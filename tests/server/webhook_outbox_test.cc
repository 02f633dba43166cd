#include "server/webhook_outbox.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

namespace uptake {
namespace {

// Returns the "text" of the slack body rendered for `change`.
std::string SlackTextOf(const AlertChange& change, std::string_view change_kind) {
  WebhookConfig webhook;
  webhook.name = "slack";
  webhook.body_template = WebhookTemplate::kSlack;
  const std::string body = RenderWebhookBody(webhook, change, change_kind);
  simdjson::dom::parser parser;
  std::string_view text;
  EXPECT_EQ(parser.parse(body)["text"].get(text), simdjson::SUCCESS) << body;
  return std::string(text);
}

TEST(SlackTemplate, EscapesClientText) {
  AlertChange change;
  change.rule = "quiet";
  change.severity = "critical";
  change.account_id = "<!channel> & co";
  change.json =
      R"({"summary":"<https://evil.example|click> has been idle","acknowledged_by":"<@U123>"})";

  EXPECT_EQ(SlackTextOf(change, "fired"),
            "FIRED quiet (critical) account &lt;!channel&gt; &amp; co: "
            "&lt;https://evil.example|click&gt; has been idle");
  EXPECT_EQ(SlackTextOf(change, "acknowledged"),
            "ACKNOWLEDGED quiet (critical) account &lt;!channel&gt; &amp; co by &lt;@U123&gt;: "
            "&lt;https://evil.example|click&gt; has been idle");
}

TEST(SlackTemplate, PlainTextUnchanged) {
  AlertChange change;
  change.rule = "quiet";
  change.severity = "warning";
  change.account_id = "acme";
  change.json = R"({"summary":"acme is quiet\nfor 3 days"})";

  EXPECT_EQ(SlackTextOf(change, "fired"),
            "FIRED quiet (warning) account acme: acme is quiet for 3 days");
}

}  // namespace
}  // namespace uptake
