// The credential and transport parts of ConfigParser: write keys with their
// rate limits, read and admin tokens, and TLS.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>

#include "config/config_parser.h"

namespace uptake {
namespace config_internal {
namespace {

constexpr std::array<std::string_view, 2> kWriteKeyEntryKeys = {"key", "limits"};
constexpr std::array<std::string_view, 2> kRateLimitKeys = {"rate_per_second", "burst"};
constexpr std::array<std::string_view, 8> kAuthKeys = {
    "write_keys_file", "write_keys_env", "read_tokens",      "read_tokens_file",
    "read_tokens_env", "admin_token",    "admin_token_file", "admin_token_env",
};
constexpr std::array<std::string_view, 2> kTlsKeys = {"cert_file", "key_file"};

// Caps that catch typos such as a value in events per day.
constexpr double kMaxRatePerSecond = 1e9;
constexpr int64_t kMaxBurst = 1000000000;

// Returns an error message when `token` cannot be a credential, or "" when
// it can. Write keys allow any character but control characters, as the
// SDKs send them in Basic credentials or the body. Read and admin tokens
// are sent as `Authorization: Bearer TOKEN`, so they are visible ASCII.
std::string CheckToken(std::string_view token, bool is_write_key) {
  if (token.empty()) return "is empty";
  for (char c : token) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return "contains a control character";
    if (!is_write_key && (byte == ' ' || byte > 0x7e)) {
      return "contains a space or a non-ASCII character; a Bearer token is visible ASCII";
    }
  }
  return "";
}

std::string_view TrimSpace(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Returns the OpenSSL error queue as one line and clears it.
std::string TakeOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown OpenSSL error" : text;
}

// Returns "" when `path` can be opened for reading, else the reason.
std::string CheckReadable(const std::string& path) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "rb"),
                                                          &std::fclose);
  if (file == nullptr) return std::strerror(errno);
  return "";
}

}  // namespace

bool ConfigParser::ParseWriteKeys(const Field& field) {
  write_keys_field_ = field;
  std::optional<std::vector<Field>> items = reader_.ReadSequence(field);
  if (!items) return false;
  if (items->empty()) {
    reader_.Fail(field, "must list at least one key; without one no event can be ingested");
    return false;
  }

  // Keys are secrets, so errors name their position but never their value.
  std::vector<std::string> keys;
  std::map<std::string, std::string, std::less<>> position_by_key;
  for (const Field& item : *items) {
    std::string key;
    if (!ParseWriteKeyEntry(item, &key)) return false;
    const auto [it, inserted] = position_by_key.emplace(key, item.key);
    if (!inserted) {
      reader_.Fail(item, "duplicate value; it is already listed as " + it->second);
      return false;
    }
    keys.push_back(std::move(key));
  }
  config_.write_keys = std::move(keys);
  return true;
}

bool ConfigParser::ParseWriteKeyEntry(const Field& item, std::string* key) {
  if (!item.value.IsMap()) {
    std::optional<std::string> name = reader_.ReadName(item);
    if (!name) return false;
    *key = std::move(*name);
    return true;
  }

  // {key: K, limits: {rate_per_second: R, burst: B}}
  std::optional<FieldMap> fields = reader_.ReadMapping(item, kWriteKeyEntryKeys);
  if (!fields) return false;
  const Field* key_field = reader_.RequireField(*fields, item, "key", "the entry names its key");
  if (key_field == nullptr) return false;
  std::optional<std::string> name = reader_.ReadName(*key_field);
  if (!name) return false;
  *key = std::move(*name);

  if (const Field* limits = FindField(*fields, "limits")) {
    std::optional<FieldMap> limit_fields = reader_.ReadMapping(*limits, kRateLimitKeys);
    if (!limit_fields) return false;
    RateLimit limit;
    if (!ParseRateLimit(*limit_fields, &limit)) return false;
    config_.write_key_limits[*key] = limit;
  }
  return true;
}

bool ConfigParser::ParseRateLimit(const FieldMap& fields, RateLimit* limit) {
  const Field* rate = FindField(fields, "rate_per_second");
  const Field* burst = FindField(fields, "burst");
  if (rate == nullptr) {
    if (burst != nullptr) {
      reader_.Fail(*burst, "burst needs rate_per_second beside it");
      return false;
    }
    return true;
  }

  std::optional<double> rate_value = reader_.ReadNumber(*rate);
  if (!rate_value) return false;
  if (!(*rate_value >= 0 && *rate_value <= kMaxRatePerSecond)) {
    reader_.Fail(*rate, "must be between 0 (no limit) and 1000000000 events per second");
    return false;
  }
  // Without burst, the bucket contains one second of events, at least one.
  const auto default_burst = static_cast<int64_t>(std::max(1.0, std::ceil(*rate_value)));
  std::optional<int64_t> burst_value =
      reader_.ReadIntegerOr(fields, "burst", 1, kMaxBurst, default_burst);
  if (!burst_value) return false;
  limit->rate_per_second = *rate_value;
  limit->burst = *burst_value;
  return true;
}

bool ConfigParser::ParseAuth(const Field* field) {
  FieldMap fields;
  if (field != nullptr) {
    std::optional<FieldMap> read = reader_.ReadMapping(*field, kAuthKeys);
    if (!read) return false;
    fields = std::move(*read);
  }

  // Keys from a file or the environment join the write_keys list. The
  // built-in "dev" key is then dropped unless the list names it.
  std::vector<std::string> extra_keys;
  bool keys_given = false;
  if (!AddTokens(fields, "write_keys", /*is_write_key=*/true, &extra_keys, &keys_given)) {
    return false;
  }
  if (keys_given) {
    if (!write_keys_field_) config_.write_keys.clear();
    for (std::string& key : extra_keys) {
      if (std::find(config_.write_keys.begin(), config_.write_keys.end(), key) ==
          config_.write_keys.end()) {
        config_.write_keys.push_back(std::move(key));
      }
    }
  }

  bool read_given = false;
  if (const Field* list = FindField(fields, "read_tokens")) {
    std::optional<std::vector<std::string>> tokens = reader_.ReadNameList(*list, /*secret=*/true);
    if (!tokens) return false;
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string problem = CheckToken((*tokens)[i], /*is_write_key=*/false);
      if (!problem.empty()) {
        reader_.Fail(list->line, ItemKey(list->key, i), "the token " + problem);
        return false;
      }
    }
    config_.auth.read_tokens = std::move(*tokens);
    read_given = true;
  }
  if (!AddTokens(fields, "read_tokens", /*is_write_key=*/false, &config_.auth.read_tokens,
                 &read_given)) {
    return false;
  }
  if (field != nullptr && !ParseAdminToken(fields, *field)) return false;
  return field == nullptr || CheckCredentialSetsDisjoint(*field);
}

bool ConfigParser::AddTokens(const FieldMap& fields, std::string_view prefix, bool is_write_key,
                             std::vector<std::string>* tokens, bool* given) {
  const std::string what = is_write_key ? "write key" : "token";
  auto add = [&](std::string_view token) {
    if (std::find(tokens->begin(), tokens->end(), token) == tokens->end()) {
      tokens->emplace_back(token);
    }
  };

  if (const Field* file_field = FindField(fields, std::string(prefix) + "_file")) {
    std::optional<std::string> path = reader_.ReadName(*file_field);
    if (!path) return false;
    std::ifstream in(*path, std::ios::binary);
    if (!in) {
      reader_.Fail(*file_field,
                   "failed to read " + *path + ": " + std::string(std::strerror(errno)));
      return false;
    }
    // One token a line; blank lines and lines starting with # are skipped.
    std::string line;
    int line_number = 0;
    size_t found = 0;
    while (std::getline(in, line)) {
      ++line_number;
      std::string_view token = TrimSpace(line);
      if (token.empty() || token.front() == '#') continue;
      std::string problem = CheckToken(token, is_write_key);
      if (!problem.empty()) {
        reader_.Fail(*file_field, "line " + std::to_string(line_number) + " of " + *path +
                                      ": the " + what + " " + problem);
        return false;
      }
      add(token);
      ++found;
    }
    if (found == 0) {
      reader_.Fail(*file_field,
                   *path + " contains no " + what + "; write one a line, # starts a comment line");
      return false;
    }
    *given = true;
  }

  if (const Field* env_field = FindField(fields, std::string(prefix) + "_env")) {
    std::optional<std::string> variable = reader_.ReadName(*env_field);
    if (!variable) return false;
    const char* value = std::getenv(variable->c_str());
    if (value == nullptr || TrimSpace(value).empty()) {
      reader_.Fail(*env_field, "environment variable " + *variable + " is not set or empty");
      return false;
    }
    // Several values are separated by commas or whitespace.
    std::string_view rest = value;
    size_t index = 0;
    while (!rest.empty()) {
      const size_t end = rest.find_first_of(", \t\r\n");
      std::string_view token = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (token.empty()) continue;
      std::string problem = CheckToken(token, is_write_key);
      if (!problem.empty()) {
        reader_.Fail(*env_field, "value " + std::to_string(index) + " of " + *variable + ": the " +
                                     what + " " + problem);
        return false;
      }
      add(token);
      ++index;
    }
    *given = true;
  }
  return true;
}

bool ConfigParser::ParseAdminToken(const FieldMap& fields, const Field& parent) {
  const Field* inline_token = FindField(fields, "admin_token");
  const Field* file = FindField(fields, "admin_token_file");
  const Field* env = FindField(fields, "admin_token_env");
  const int given = (inline_token != nullptr) + (file != nullptr) + (env != nullptr);
  if (given == 0) return true;
  if (given > 1) {
    reader_.Fail(parent, "set at most one of admin_token, admin_token_file and admin_token_env");
    return false;
  }

  if (inline_token != nullptr) {
    std::optional<std::string> token = reader_.ReadString(*inline_token);
    if (!token) return false;
    std::string problem = CheckToken(*token, /*is_write_key=*/false);
    if (!problem.empty()) {
      reader_.Fail(*inline_token, "the token " + problem);
      return false;
    }
    config_.auth.admin_token = std::move(*token);
    return true;
  }

  std::vector<std::string> tokens;
  bool found = false;
  if (!AddTokens(fields, "admin_token", /*is_write_key=*/false, &tokens, &found)) return false;
  if (tokens.size() != 1) {
    reader_.Fail(file != nullptr ? *file : *env,
                 "holds " + std::to_string(tokens.size()) + " tokens; the admin token is one");
    return false;
  }
  config_.auth.admin_token = std::move(tokens.front());
  return true;
}

bool ConfigParser::CheckCredentialSetsDisjoint(const Field& field) {
  // A value in two sets would make the roles ambiguous: a write key must
  // never read, and a read token must never ingest.
  const std::set<std::string, std::less<>> write_keys(config_.write_keys.begin(),
                                                      config_.write_keys.end());
  const AuthConfig& auth = config_.auth;
  for (const std::string& token : auth.read_tokens) {
    if (write_keys.contains(token)) {
      reader_.Fail(field, "a read token is also a write key; give each role its own value");
      return false;
    }
    if (token == auth.admin_token) {
      reader_.Fail(field, "a read token is also the admin token; give each role its own value");
      return false;
    }
  }
  if (!auth.admin_token.empty() && write_keys.contains(auth.admin_token)) {
    reader_.Fail(field, "the admin token is also a write key; give each role its own value");
    return false;
  }
  return true;
}

bool ConfigParser::ParseTls(const Field& field) {
  std::optional<FieldMap> fields = reader_.ReadMapping(field, kTlsKeys);
  if (!fields) return false;
  const Field* cert = reader_.RequireField(*fields, field, "cert_file",
                                           "TLS needs the server's PEM certificate chain");
  if (cert == nullptr) return false;
  const Field* key =
      reader_.RequireField(*fields, field, "key_file", "TLS needs the certificate's private key");
  if (key == nullptr) return false;
  std::optional<std::string> cert_path = reader_.ReadName(*cert);
  if (!cert_path) return false;
  std::optional<std::string> key_path = reader_.ReadName(*key);
  if (!key_path) return false;

  if (std::string reason = CheckReadable(*cert_path); !reason.empty()) {
    reader_.Fail(*cert, "failed to read " + *cert_path + ": " + reason);
    return false;
  }
  if (std::string reason = CheckReadable(*key_path); !reason.empty()) {
    reader_.Fail(*key, "failed to read " + *key_path + ": " + reason);
    return false;
  }

  // The server loads the files the same way when it starts.
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_server_method()),
                                                            &SSL_CTX_free);
  if (context == nullptr) {
    reader_.Fail(field, "failed to set up OpenSSL: " + TakeOpenSslErrors());
    return false;
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(context.get(), cert_path->c_str()) != 1) {
    reader_.Fail(*cert, *cert_path + " is not a PEM certificate chain: " + TakeOpenSslErrors());
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(context.get(), key_path->c_str(), SSL_FILETYPE_PEM) != 1) {
    reader_.Fail(*key, *key_path + " is not an unencrypted PEM private key, or does not match " +
                           "the certificate: " + TakeOpenSslErrors());
    return false;
  }
  if (SSL_CTX_check_private_key(context.get()) != 1) {
    reader_.Fail(*key, *key_path + " does not match the certificate in " + *cert_path);
    return false;
  }
  config_.tls.cert_file = std::move(*cert_path);
  config_.tls.key_file = std::move(*key_path);
  return true;
}

}  // namespace config_internal
}  // namespace uptake
