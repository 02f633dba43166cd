#include "config/config.h"

#include <arpa/inet.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config_parser.h"

namespace uptake {
namespace {

// Returns the whole file, or the errno of the failed call.
std::variant<std::string, int> ReadFile(const std::string& path) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "rb"),
                                                          &std::fclose);
  if (file == nullptr) return errno;

  std::string content;
  char buffer[8192];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    content.append(buffer, count);
  }
  // glibc's fread sets errno, for example EISDIR when `path` is a directory.
  if (std::ferror(file.get())) return errno;
  return content;
}

// Counts the documents of a YAML stream and records where each one's first
// node is, without building any node.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents() const { return static_cast<int>(first_node_marks_.size()); }
  // The mark of document `index`'s first node, counted from 0.
  const YAML::Mark& first_node_mark(int index) const { return first_node_marks_[index]; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    first_node_marks_.push_back(mark);
    seen_node_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { RecordNodeMark(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { RecordNodeMark(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    RecordNodeMark(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    RecordNodeMark(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    RecordNodeMark(mark);
  }
  void OnMapEnd() override {}

 private:
  void RecordNodeMark(const YAML::Mark& mark) {
    if (seen_node_) return;
    first_node_marks_.back() = mark;
    seen_node_ = true;
  }

  std::vector<YAML::Mark> first_node_marks_;
  bool seen_node_ = false;
};

// Parses the YAML text read from `path`. A syntax error becomes a ConfigError.
//
// YAML::LoadAll is not used: in yaml-cpp 0.7 (Debian 12) some malformed
// input, such as a line holding only ",", makes the parser report an endless
// run of empty documents at one position, so LoadAll never returns. The
// documents are counted with at most three parser calls instead, and only
// the first is built.
std::variant<YAML::Node, ConfigError> ParseYaml(const std::string& path, const std::string& text) {
  try {
    std::istringstream input(text);
    YAML::Parser parser(input);
    DocumentCounter counter;
    for (int call = 0; call < 3 && parser.HandleNextDocument(counter); ++call) {
    }

    // Each real document consumes at least one token, so two documents that
    // start at one position mean the parser is stuck on a token it cannot use.
    for (int i = 1; i < counter.documents(); ++i) {
      const YAML::Mark& mark = counter.first_node_mark(i);
      if (mark.pos == counter.first_node_mark(i - 1).pos) {
        return ConfigError{path, mark.line + 1, "",
                           "invalid YAML at column " + std::to_string(mark.column + 1) +
                               ": unexpected token, such as a stray ',' or an unbalanced bracket"};
      }
    }
    if (counter.documents() > 1) {
      return ConfigError{path, counter.first_node_mark(1).line + 1, "",
                         "found a second YAML document; the file must contain one"};
    }
    // A file that is empty or only comments has no document and keeps every
    // default.
    if (counter.documents() == 0) return YAML::Node();
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp counts lines and columns from 0.
    return ConfigError{
        path, e.mark.line + 1, "",
        "invalid YAML at column " + std::to_string(e.mark.column + 1) + ": " + e.msg};
  }
}

// A hostname or IPv4 address, checked for syntax only: resolving it is the
// server's job when it binds.
bool IsValidHostName(std::string_view host) {
  constexpr size_t kMaxHostNameLength = 253;  // maximum length of a DNS name in text form
  if (host.empty() || host.size() > kMaxHostNameLength) return false;
  if (host.front() == '.' || host.front() == '-') return false;
  for (char c : host) {
    const bool alphanumeric =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && c != '-' && c != '.') return false;
  }
  return true;
}

// An IPv6 address as written inside brackets, with an optional zone such
// as "%eth0".
bool IsValidIpv6(std::string_view text) {
  const size_t percent = text.find('%');
  const std::string address(text.substr(0, percent));
  in6_addr parsed;
  if (inet_pton(AF_INET6, address.c_str(), &parsed) != 1) return false;
  if (percent == std::string_view::npos) return true;
  return IsValidHostName(text.substr(percent + 1));
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  constexpr size_t kMaxPortDigits = 5;
  if (text.empty() || text.size() > kMaxPortDigits) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

}  // namespace

std::string ConfigError::ToString() const {
  // Appended piece by piece: `":" + std::to_string(line)` trips a false
  // -Wrestrict in GCC 12 at -O3.
  std::string text = file;
  if (line > 0) text.append(":").append(std::to_string(line));
  if (!key.empty()) text.append(": ").append(key);
  return text.append(": ").append(message);
}

std::optional<ConfigError> LoadConfigFile(const std::string& path, Config* config) {
  std::variant<std::string, int> text = ReadFile(path);
  if (const int* error = std::get_if<int>(&text)) {
    return ConfigError{path, 0, "",
                       "failed to read the file: " + std::string(std::strerror(*error))};
  }
  return LoadConfigText(path, std::get<std::string>(text), config);
}

std::optional<ConfigError> LoadConfigText(const std::string& path, const std::string& text,
                                          Config* config) {
  std::variant<YAML::Node, ConfigError> root = ParseYaml(path, text);
  if (const ConfigError* error = std::get_if<ConfigError>(&root)) return *error;

  config_internal::ConfigParser parser(path);
  if (std::optional<ConfigError> error = parser.Parse(std::get<YAML::Node>(root))) return error;

  // Assigned only on success, so a failed load leaves *config as it was.
  *config = parser.config();
  config->source_path = path;
  return std::nullopt;
}

bool ParseListenAddress(const std::string& text, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  const std::string_view host_part = std::string_view(text).substr(0, colon);
  const std::optional<uint16_t> parsed_port = ParsePort(std::string_view(text).substr(colon + 1));
  if (!parsed_port) return false;

  // A bare IPv6 address would be ambiguous with the port, so it needs brackets.
  std::string_view parsed_host = host_part;
  if (host_part.starts_with('[') && host_part.ends_with(']')) {
    parsed_host = host_part.substr(1, host_part.size() - 2);
    if (!IsValidIpv6(parsed_host)) return false;
  } else if (!IsValidHostName(host_part)) {
    return false;
  }

  *host = std::string(parsed_host);
  *port = *parsed_port;
  return true;
}

}  // namespace uptake
