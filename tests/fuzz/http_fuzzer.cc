// Fuzzes the HTTP request path in-process. The input is the raw bytes of one
// HTTP/1.1 request, read by Beast's request parser with the server's limits.
// It is dispatched as HttpSession does, against a real RocksDB store in a
// temporary folder and the rules of config/examples/gharchive.yaml (write
// key "demo"). WebSocket and Server-Sent Events upgrades stop after their
// query and credentials are read, because the streams need a socket.
//
// The store, aggregator and alerts persist across inputs, as in a running
// server, so a crash that depends on earlier inputs may not reproduce from
// its input alone.

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "metrics/aggregator.h"
#include "server/access_control.h"
#include "server/alert_hub.h"
#include "server/alert_recorder.h"
#include "server/alert_stream.h"
#include "server/clock.h"
#include "server/cors.h"
#include "server/http_server.h"
#include "server/ingest_service.h"
#include "server/router.h"
#include "server/rule_reloader.h"
#include "server/server_metrics.h"
#include "server/silence_registry.h"
#include "storage/store.h"
#include "tests/fuzz/fuzz_support.h"

namespace uptake::fuzz {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;

// Time-driven rules are evaluated once per this many requests, standing in
// for the server's one-second ticker.
constexpr uint64_t kRequestsPerTick = 64;

// The services RunServer builds, over a store in a temporary folder that is
// removed at exit.
class Harness {
 public:
  Harness() {
    spdlog::set_level(spdlog::level::off);
    if (std::optional<ConfigError> error =
            LoadConfigFile(UPTAKE_SOURCE_DIR "/config/examples/gharchive.yaml", &config_)) {
      std::fprintf(stderr, "http_fuzzer: %s\n", error->ToString().c_str());
      std::abort();
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "uptake-http-fuzz-XXXXXX").string();
    Check(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
    dir_ = pattern;
    config_.data_dir = dir_ + "/db";
    Check(Store::Open(config_.data_dir, StoreOptions{}, &store_).ok(), "the store did not open");

    aggregator_ = std::make_unique<Aggregator>(Catalog(config_.features, config_.login_events),
                                               config_.rules);
    clock_ = std::make_unique<ServerClock>(config_.clock);
    silences_ = std::make_unique<SilenceRegistry>(*store_, *clock_);
    Check(silences_->Load().ok(), "silences did not load");
    recorder_ = std::make_unique<AlertRecorder>(*store_, hub_, config_.retained_alert_changes,
                                                config_.webhooks, silences_.get());
    ingest_ = std::make_unique<IngestService>(config_, *store_, *aggregator_, *clock_, *recorder_);
    reloader_ = std::make_unique<RuleReloader>(config_, *aggregator_, *clock_, *recorder_);
    // A loopback listener with no tokens, as the default config runs, so
    // read and admin routes are reached.
    access_ = std::make_unique<AccessPolicy>(config_.auth, config_.write_keys,
                                             /*loopback_listener=*/true);
    router_ = std::make_unique<Router>(
        RouterServices{*ingest_, *store_, *aggregator_, *clock_, *recorder_, *reloader_, *silences_,
                       *access_, metrics_},
        CorsPolicy(config_.cors_allowed_origins, config_.cors_max_age_seconds));
    limits_.max_body_bytes =
        std::max(config_.limits.max_request_bytes, config_.limits.max_posthog_request_bytes) +
        16 * 1024;
  }

  ~Harness() {
    router_.reset();
    access_.reset();
    reloader_.reset();
    ingest_.reset();
    recorder_.reset();
    silences_.reset();
    aggregator_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Parses `bytes` as one request and dispatches it as HttpSession does.
  void Serve(std::string_view bytes) {
    http::request_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(limits_.max_body_bytes);
    parser.header_limit(limits_.max_header_bytes);

    beast::error_code ec;
    while (!bytes.empty() && !parser.is_done()) {
      const size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0) break;
        continue;
      }
      if (ec) break;
    }
    // The client closed the connection after its bytes.
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    // HttpSession responds to these without reaching the router.
    if (ec) return;

    HttpRequest request = parser.release();
    auto [path, query] = SplitTarget(request.target());
    if (path == "/v1/alerts/stream" && request.method() == http::verb::get &&
        (beast::websocket::is_upgrade(request) ||
         beast::iequals(request[http::field::accept], "text/event-stream"))) {
      AlertStreamOptions options;
      std::string error;
      (void)ParseAlertStreamOptions(query, request["Last-Event-ID"], &options, &error);
      return;
    }
    if (beast::websocket::is_upgrade(request) && path == "/v1/ingest") {
      std::string key = CredentialsFromAuthorization(request[http::field::authorization]).key;
      if (key.empty()) key = QueryParameter(query, "write_key").value_or("");
      (void)ingest_->IsWriteKey(key);
      return;
    }

    HttpAnswer answer = router_->Handle(request, kReceivedMs);
    CheckAnswer(answer);

    if (++requests_ % kRequestsPerTick == 0) {
      std::vector<Alert> alerts = aggregator_->Tick(clock_->Now());
      if (!alerts.empty()) recorder_->Record(alerts);
    }
  }

 private:
  // Checks that the response has a status clients understand and a body of
  // valid JSON, which SDKs parse. Bad input never gets a 5xx other than 503
  // (storage unavailable), because SDKs retry those.
  void CheckAnswer(const HttpAnswer& answer) {
    Check(answer.status >= 200 && answer.status < 600, "an answer has an invalid status");
    Check(answer.status < 500 || answer.status == 503, "bad input got a 5xx other than 503");
    if (answer.body.empty()) return;
    simdjson::dom::element root;
    if (json_parser_.parse(answer.body).get(root) != simdjson::SUCCESS) {
      std::fprintf(stderr, "response %d is not valid JSON: %s\n", answer.status,
                   answer.body.c_str());
      std::abort();
    }
  }

  Config config_;
  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Aggregator> aggregator_;
  std::unique_ptr<ServerClock> clock_;
  std::unique_ptr<SilenceRegistry> silences_;
  AlertHub hub_;
  std::unique_ptr<AlertRecorder> recorder_;
  std::unique_ptr<IngestService> ingest_;
  std::unique_ptr<RuleReloader> reloader_;
  std::unique_ptr<AccessPolicy> access_;
  ServerMetrics metrics_;
  std::unique_ptr<Router> router_;
  HttpLimits limits_;
  simdjson::dom::parser json_parser_;
  uint64_t requests_ = 0;
};

Harness* harness = nullptr;

}  // namespace
}  // namespace uptake::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  static uptake::fuzz::Harness instance;
  uptake::fuzz::harness = &instance;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uptake::fuzz::harness->Serve(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
