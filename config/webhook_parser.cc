#include "config/webhook_parser.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string_view>
#include <system_error>

namespace uptake {
namespace config_internal {
namespace {

constexpr std::array<std::string_view, 8> kWebhookKeys = {
    "name", "url", "secret", "secret_env", "template", "notify", "match", "ca_file",
};
constexpr std::array<std::string_view, 2> kMatchKeys = {"rule", "severity"};

// Same order as WebhookTemplate.
constexpr std::array<std::string_view, 2> kTemplateNames = {"json", "slack"};
constexpr std::array<std::string_view, 4> kChangeKinds = {"fired", "escalated", "acknowledged",
                                                          "resolved"};
// Same order as Severity.
constexpr std::array<std::string_view, 3> kSeverityNames = {"info", "warning", "critical"};

constexpr char kUrlForms[] = "http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]";

struct UrlParts {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
  bool tls = false;
};

// Splits "HOST[:PORT]" or "[V6][:PORT]", with `default_port` when PORT is
// absent. Returns nullopt when malformed.
std::optional<UrlParts> SplitAuthority(std::string_view authority, uint16_t default_port) {
  UrlParts parts;
  parts.port = default_port;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parts.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
    if (rest == ":") return std::nullopt;
  } else {
    const size_t colon = authority.find(':');
    parts.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (colon != std::string_view::npos && port_text.empty()) return std::nullopt;
  }
  if (parts.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return std::nullopt;
    }
    parts.port = static_cast<uint16_t>(port);
  }
  return parts;
}

// Returns the scheme of "SCHEME://..." in lowercase (schemes are
// case-insensitive), or an empty string when the URL has none.
std::string UrlScheme(std::string_view url) {
  const size_t end = url.find("://");
  if (end == std::string_view::npos) return "";
  std::string scheme(url.substr(0, end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return scheme;
}

// Parses HOST[:PORT][/PATH], the part of the URL after "SCHEME://".
// Returns nullopt when malformed.
std::optional<UrlParts> SplitUrlRest(std::string_view rest, uint16_t default_port) {
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '#') return std::nullopt;
  }

  const size_t slash = rest.find('/');
  std::optional<UrlParts> parts = SplitAuthority(rest.substr(0, slash), default_port);
  if (parts && slash != std::string_view::npos) parts->target = std::string(rest.substr(slash));
  return parts;
}

// Checks that `path` is a readable file holding at least one PEM
// certificate, and that every certificate in it parses. Returns the
// problem, or nullopt when the file is usable as a CA file.
std::optional<std::string> CheckCaFile(const std::string& path) {
  std::error_code status_error;
  const std::filesystem::file_status status = std::filesystem::status(path, status_error);
  if (!std::filesystem::exists(status)) return "CA file \"" + path + "\" not found";
  if (std::filesystem::is_directory(status)) {
    return "CA file \"" + path + "\" is a folder; expected a PEM file";
  }

  std::ifstream file(path, std::ios::binary);
  if (!file.is_open()) {
    return "CA file \"" + path + "\" cannot be opened: " + std::strerror(errno);
  }
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) return "reading CA file \"" + path + "\" failed: " + std::strerror(errno);

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
  if (!bio) return "reading CA file \"" + path + "\" failed: out of memory";
  ERR_clear_error();
  int certificates = 0;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_free(certificate);
    ++certificates;
  }

  // The loop ends with "no start line" once the file is used up; any other
  // error is a block that failed to parse.
  const unsigned long error = ERR_peek_last_error();
  ERR_clear_error();
  if (ERR_GET_LIB(error) != ERR_LIB_PEM || ERR_GET_REASON(error) != PEM_R_NO_START_LINE) {
    return "CA file \"" + path + "\" has an invalid certificate after " +
           std::to_string(certificates) + " valid ones";
  }
  if (certificates == 0) {
    return "CA file \"" + path + "\" contains no PEM certificate (-----BEGIN CERTIFICATE-----)";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<WebhookConfig>> WebhookParser::ParseList(const Field& field) {
  std::optional<std::vector<Field>> items = reader_->ReadSequence(field);
  if (!items) return std::nullopt;

  std::vector<WebhookConfig> webhooks;
  for (const Field& item : *items) {
    std::optional<WebhookConfig> webhook = ParseWebhook(item);
    if (!webhook) return std::nullopt;
    for (size_t i = 0; i < webhooks.size(); ++i) {
      if (webhooks[i].name != webhook->name) continue;
      reader_->Fail(item, "duplicate webhook name \"" + webhook->name +
                              "\"; it is already used by " + ItemKey("webhooks", i));
      return std::nullopt;
    }
    webhooks.push_back(std::move(*webhook));
  }
  return webhooks;
}

std::optional<WebhookConfig> WebhookParser::ParseWebhook(const Field& item) {
  std::optional<FieldMap> fields = reader_->ReadMapping(item, kWebhookKeys);
  if (!fields) return std::nullopt;

  WebhookConfig webhook;
  const Field* name = reader_->RequireField(*fields, item, "name", "every webhook needs a name");
  if (name == nullptr) return std::nullopt;
  std::optional<std::string> name_text = reader_->ReadName(*name);
  if (!name_text) return std::nullopt;
  webhook.name = std::move(*name_text);

  const Field* url = reader_->RequireField(*fields, item, "url", "it is where changes are posted");
  if (url == nullptr || !ParseUrl(*url, &webhook)) return std::nullopt;
  if (!ParseSecret(*fields, item, &webhook)) return std::nullopt;
  if (!ParseCaFile(*fields, &webhook)) return std::nullopt;

  if (const Field* body_template = FindField(*fields, "template")) {
    std::optional<size_t> choice = reader_->ReadChoice(*body_template, kTemplateNames);
    if (!choice) return std::nullopt;
    webhook.body_template = static_cast<WebhookTemplate>(*choice);
  }
  if (!ParseNotify(*fields, &webhook) || !ParseMatch(*fields, &webhook)) return std::nullopt;
  return webhook;
}

bool WebhookParser::ParseUrl(const Field& field, WebhookConfig* webhook) {
  std::optional<std::string> url = reader_->ReadString(field);
  if (!url) return false;

  const std::string scheme = UrlScheme(*url);
  if (scheme != "http" && scheme != "https") {
    const std::string found = scheme.empty() ? "no scheme" : "scheme \"" + scheme + "\"";
    reader_->Fail(field,
                  "unsupported URL \"" + *url + "\" with " + found + "; expected " + kUrlForms);
    return false;
  }

  const bool tls = scheme == "https";
  std::optional<UrlParts> parts =
      SplitUrlRest(std::string_view(*url).substr(scheme.size() + 3), tls ? 443 : 80);
  if (!parts) {
    reader_->Fail(field, "invalid URL \"" + *url + "\"; expected " + kUrlForms);
    return false;
  }
  webhook->url = std::move(*url);
  webhook->host = std::move(parts->host);
  webhook->port = parts->port;
  webhook->target = std::move(parts->target);
  webhook->tls = tls;
  return true;
}

bool WebhookParser::ParseCaFile(const FieldMap& fields, WebhookConfig* webhook) {
  const Field* ca_file = FindField(fields, "ca_file");
  if (ca_file == nullptr) return true;

  std::optional<std::string> path = reader_->ReadName(*ca_file);
  if (!path) return false;
  if (!webhook->tls) {
    reader_->Fail(*ca_file, "applies only to https URLs; remove it or use an https url");
    return false;
  }
  if (std::optional<std::string> problem = CheckCaFile(*path)) {
    reader_->Fail(*ca_file, *problem);
    return false;
  }
  webhook->ca_file = std::move(*path);
  return true;
}

bool WebhookParser::ParseSecret(const FieldMap& fields, const Field& item, WebhookConfig* webhook) {
  const Field* secret = FindField(fields, "secret");
  const Field* secret_env = FindField(fields, "secret_env");
  if ((secret == nullptr) == (secret_env == nullptr)) {
    reader_->Fail(item, "set exactly one of secret and secret_env; the secret signs every body");
    return false;
  }

  // The secret's value never appears in an error message.
  if (secret != nullptr) {
    std::optional<std::string> value = reader_->ReadString(*secret);
    if (!value) return false;
    if (value->empty()) {
      reader_->Fail(*secret, "must not be empty");
      return false;
    }
    webhook->secret = std::move(*value);
    return true;
  }

  std::optional<std::string> variable = reader_->ReadName(*secret_env);
  if (!variable) return false;
  const char* value = std::getenv(variable->c_str());
  if (value == nullptr || *value == '\0') {
    reader_->Fail(*secret_env, "environment variable " + *variable + " is not set or empty");
    return false;
  }
  webhook->secret = value;
  return true;
}

bool WebhookParser::ParseNotify(const FieldMap& fields, WebhookConfig* webhook) {
  const Field* notify = FindField(fields, "notify");
  if (notify == nullptr) return true;

  std::optional<std::vector<std::string>> kinds = reader_->ReadNameList(*notify, /*secret=*/false);
  if (!kinds) return false;
  if (kinds->empty()) {
    reader_->Fail(*notify, "must list at least one of fired, escalated, acknowledged, resolved");
    return false;
  }
  for (const std::string& kind : *kinds) {
    if (std::find(kChangeKinds.begin(), kChangeKinds.end(), kind) == kChangeKinds.end()) {
      reader_->Fail(*notify, "unknown change \"" + kind +
                                 "\"; expected fired, escalated, acknowledged or resolved");
      return false;
    }
  }
  webhook->notify = std::move(*kinds);
  return true;
}

bool WebhookParser::ParseMatch(const FieldMap& fields, WebhookConfig* webhook) {
  const Field* match = FindField(fields, "match");
  if (match == nullptr) return true;
  std::optional<FieldMap> keys = reader_->ReadMapping(*match, kMatchKeys);
  if (!keys) return false;

  if (const Field* rule = FindField(*keys, "rule")) {
    std::optional<std::string> name = reader_->ReadName(*rule);
    if (!name) return false;
    const bool known = std::any_of(rules_.begin(), rules_.end(),
                                   [&](const Rule& candidate) { return candidate.name == *name; });
    if (!known) {
      reader_->Fail(*rule, "no rule is named \"" + *name + "\"");
      return false;
    }
    webhook->match_rule = std::move(*name);
  }
  if (const Field* severity = FindField(*keys, "severity")) {
    std::optional<size_t> choice = reader_->ReadChoice(*severity, kSeverityNames);
    if (!choice) return false;
    webhook->match_severity = std::string(kSeverityNames[*choice]);
  }
  return true;
}

}  // namespace config_internal
}  // namespace uptake
