#include "bench/segment_batch.h"

#include <cstdio>

#include "bench/iso_time.h"

namespace uptake {

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\u%04x", static_cast<unsigned>(c));
          out->append(escape);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void SegmentBatch::Add(const GhEvent& event, int64_t timestamp_ms) {
  std::string message_id = "gh-" + event.id;
  std::string& out = items_;
  if (!out.empty()) out.push_back(',');

  out.append(R"({"type":"track","messageId":)");
  AppendJsonString(message_id, &out);
  out.append(R"(,"userId":)");
  AppendJsonString(event.actor, &out);
  out.append(R"(,"event":)");
  AppendJsonString(event.type, &out);
  out.append(R"(,"timestamp":)");
  AppendJsonString(FormatIsoTime(timestamp_ms), &out);
  out.append(R"(,"context":{"groupId":)");
  AppendJsonString(event.Account(), &out);

  out.append(R"(},"properties":{"repo":)");
  AppendJsonString(event.repo, &out);
  if (event.commits) out.append(R"(,"commits":)").append(std::to_string(*event.commits));
  if (!event.action.empty()) {
    out.append(R"(,"action":)");
    AppendJsonString(event.action, &out);
  }
  out.append("}}");

  message_ids_.push_back(std::move(message_id));
}

std::string SegmentBatch::Body() const { return R"({"batch":[)" + items_ + "]}"; }

void SegmentBatch::Clear() {
  items_.clear();
  message_ids_.clear();
}

}  // namespace uptake
