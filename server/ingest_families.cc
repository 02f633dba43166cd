#include "server/ingest_families.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "proto/amplitude.h"
#include "proto/answers.h"
#include "proto/body.h"
#include "proto/mixpanel.h"
#include "proto/posthog.h"
#include "proto/segment.h"
#include "server/router.h"

namespace uptake {
namespace {

// The media type without parameters, lower-cased.
std::string MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  std::string lower(type);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

bool AcceptsMediaType(IngestFamily family, std::string_view content_type) {
  if (IsJsonMediaType(content_type)) return true;
  std::string type = MediaType(content_type);
  bool form = type == "application/x-www-form-urlencoded";
  switch (family) {
    case IngestFamily::kPostHog:
    case IngestFamily::kPostHogOrAmplitude:
      return form;
    case IngestFamily::kMixpanel:
      return form || type == "application/x-ndjson";
    case IngestFamily::kSegment:
    case IngestFamily::kAmplitude:
      return false;
  }
  return false;
}

// The largest decoded body a family accepts.
size_t MaxDecodedBytes(IngestFamily family, const IngestLimits& limits) {
  switch (family) {
    case IngestFamily::kPostHog:
    case IngestFamily::kPostHogOrAmplitude:
      return limits.max_posthog_request_bytes;
    case IngestFamily::kAmplitude:
      return limits.max_amplitude_request_bytes;
    case IngestFamily::kSegment:
    case IngestFamily::kMixpanel:
      return limits.max_request_bytes;
  }
  return limits.max_request_bytes;
}

// PostHog's and Amplitude's SDKs halve their batch on 413; Segment's
// retries a 413 forever, so it gets 400.
bool AnswersTooLargeWith413(IngestFamily family) {
  return family == IngestFamily::kPostHog || family == IngestFamily::kAmplitude ||
         family == IngestFamily::kPostHogOrAmplitude;
}

FamilyParse Failed(IngestFamily family, RequestError error) {
  FamilyParse result;
  result.family = family == IngestFamily::kPostHogOrAmplitude ? IngestFamily::kPostHog : family;
  if (error.code == "request_too_large") {
    error.http_status = AnswersTooLargeWith413(family) ? 413 : 400;
  }
  result.parsed.error = std::move(error);
  return result;
}

ParsedRequest ParseFamily(IngestFamily family, const IngestRequest& request,
                          const IngestLimits& limits, const FamilyOptions& options) {
  switch (family) {
    case IngestFamily::kSegment:
      return ParseSegment(request.segment_call, request.body, request.received_ms, limits);
    case IngestFamily::kPostHog:
    case IngestFamily::kPostHogOrAmplitude:
      return ParsePostHog(request.body, request.received_ms, limits,
                          PostHogOptions{options.group_type});
    case IngestFamily::kAmplitude:
      return ParseAmplitude(request.body, request.received_ms, limits,
                            AmplitudeOptions{options.group_type});
    case IngestFamily::kMixpanel:
      return ParseMixpanel(request.body, request.content_type, request.received_ms, limits,
                           MixpanelOptions{options.mixpanel_account_property});
  }
  return {};
}

}  // namespace

FamilyParse DecodeAndParse(IngestRequest& request, const IngestLimits& limits,
                           const FamilyOptions& options) {
  IngestFamily family = request.family;
  if (!AcceptsMediaType(family, request.content_type)) {
    return Failed(family, {415, "unsupported_media_type",
                           "Content-Type '" + std::string(request.content_type) +
                               "' is not supported; send application/json or text/plain."});
  }

  const size_t max_bytes = MaxDecodedBytes(family, limits);
  if (auto error = DecodeBody(request.content_encoding, request.body, max_bytes)) {
    return Failed(family, std::move(*error));
  }

  bool posthog = family == IngestFamily::kPostHog || family == IngestFamily::kPostHogOrAmplitude;
  bool form = MediaType(request.content_type) == "application/x-www-form-urlencoded";
  if (posthog || (family == IngestFamily::kMixpanel && form)) {
    std::string compression = QueryParameter(request.query, "compression").value_or("");
    // DecodeBody already inflated a body that starts with the gzip magic
    // bytes, which is how gzip-js bodies arrive.
    bool still_gzip =
        request.body.size() >= 2 && request.body[0] == '\x1f' && request.body[1] == '\x8b';
    if ((compression == "gzip" || compression == "gzip-js") && !still_gzip) compression.clear();
    if (auto error =
            DecodePostHogPayload(compression, request.content_type, request.body, max_bytes)) {
      return Failed(family, std::move(*error));
    }
  }
  if (family == IngestFamily::kPostHogOrAmplitude) {
    family = IsAmplitudeBody(request.body) ? IngestFamily::kAmplitude : IngestFamily::kPostHog;
  }

  FamilyParse result;
  result.family = family;
  result.decoded_bytes = request.body.size();
  result.parsed = ParseFamily(family, request, limits, options);
  return result;
}

HttpAnswer FamilyErrorAnswer(IngestFamily family, const RequestError& error) {
  if (family == IngestFamily::kAmplitude) {
    return HttpAnswer{error.http_status, EncodeAmplitudeError(error), {}};
  }
  return ErrorAnswer(error);
}

std::optional<size_t> MaxRawBodyBytes(IngestFamily family, const IngestLimits& limits) {
  switch (family) {
    case IngestFamily::kSegment:
    case IngestFamily::kAmplitude:
      return MaxDecodedBytes(family, limits) + kCompressionAllowanceBytes;
    case IngestFamily::kPostHog:
    case IngestFamily::kPostHogOrAmplitude:
    case IngestFamily::kMixpanel:
      return std::nullopt;
  }
  return std::nullopt;
}

HttpAnswer RawBodyTooLargeAnswer(IngestFamily family, size_t limit) {
  RequestError error{AnswersTooLargeWith413(family) ? 413 : 400, "request_too_large",
                     "The raw request body is larger than the limit of " + std::to_string(limit) +
                         " bytes for this route. Send fewer events per request."};
  return FamilyErrorAnswer(family, error);
}

HttpAnswer FamilySuccessAnswer(IngestFamily family, std::string_view query,
                               const IngestOutcome& outcome, size_t decoded_bytes,
                               int64_t received_ms) {
  switch (family) {
    case IngestFamily::kAmplitude:
      return JsonAnswer(200,
                        EncodeAmplitudeSuccess(outcome.accepted - outcome.duplicates, decoded_bytes,
                                               received_ms, outcome.duplicates, outcome.rejected));
    case IngestFamily::kMixpanel: {
      bool strict = QueryParameter(query, "strict").value_or("0") == "1";
      int status = strict && !outcome.rejected.empty() ? 400 : 200;
      return JsonAnswer(status, EncodeMixpanelAnswer(strict, outcome.accepted, outcome.rejected));
    }
    case IngestFamily::kPostHog:
    case IngestFamily::kPostHogOrAmplitude:
      // Browsers ignore a beacon's response, and posthog-js asks for 204.
      if (QueryParameter(query, "beacon").value_or("") == "1") return HttpAnswer{204, "", {}};
      break;
    case IngestFamily::kSegment:
      break;
  }
  return JsonAnswer(200,
                    EncodeIngestAnswer(outcome.accepted, outcome.duplicates, outcome.rejected));
}

}  // namespace uptake
