// Crash tests: the real server under concurrent ingest is killed with
// SIGKILL at random moments and restarted on the same data folder. Every
// acknowledged event must survive, none may count twice, and the account
// aggregates must equal a recount of what was sent.
//
// UPTAKE_CRASH_KILLS sets the number of kills per durability mode (default
// 20); scripts/crash-loop.sh runs hundreds.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/clients.h"
#include "tests/integration/server_process.h"

namespace uptake::testing {
namespace {

constexpr char kWriteKey[] = "crash-key";
constexpr int kAccounts = 6;
constexpr int kClientThreads = 4;
constexpr int kMaxEventsPerBatch = 10;
// Bounds each client's batches per round, so a round ends even if the
// server never gets killed.
constexpr int kMaxBatchesPerRound = 400;
const std::vector<std::string> kEventNames = {"Report Viewed", "Export Created", "Signed In"};

const std::vector<std::pair<std::string, std::string>> kAuth = {
    {"Authorization", BasicAuth(kWriteKey)}};

// One Segment batch as sent. All its events belong to one account, and the
// i-th event is named kEventNames[i % 3].
struct SentBatch {
  std::string body;
  int account = 0;
  int size = 0;
  bool acknowledged = false;
};

// Per account: event_count and the count of each event name.
struct AccountCounts {
  int64_t events = 0;
  std::map<std::string, int64_t> by_name;

  bool operator==(const AccountCounts&) const = default;
};

// Returns `prefix` followed by `number`. Built by appending, because
// "x" + std::to_string(n) trips a false -Wrestrict in GCC 12 at -O3.
std::string Numbered(std::string prefix, int number) {
  prefix += std::to_string(number);
  return prefix;
}

std::string BuildBatch(const std::string& batch_id, int account, int size) {
  std::string body = R"({"batch":[)";
  for (int i = 0; i < size; ++i) {
    if (i > 0) body += ",";
    body += R"({"type":"track","messageId":")" + batch_id + "-" + std::to_string(i) +
            R"(","userId":"u-)" + batch_id.substr(0, batch_id.find('-', 1)) + R"(","event":")" +
            kEventNames[i % kEventNames.size()] +
            R"(","timestamp":"2024-03-01T10:00:00Z","context":{"groupId":"acct-)" +
            std::to_string(account) + R"("}})";
  }
  return body + "]}";
}

// Adds a batch's events to `counts`.
void Count(const SentBatch& batch, std::vector<AccountCounts>* counts) {
  AccountCounts& account = (*counts)[batch.account];
  account.events += batch.size;
  for (int i = 0; i < batch.size; ++i) ++account.by_name[kEventNames[i % kEventNames.size()]];
}

// Reads "accepted" and "duplicates" from a Segment response; -1 when absent.
std::pair<int, int> AcceptedAndDuplicates(const std::string& body) {
  std::smatch accepted;
  std::smatch duplicates;
  const bool ok = std::regex_search(body, accepted, std::regex(R"("accepted":(\d+))")) &&
                  std::regex_search(body, duplicates, std::regex(R"("duplicates":(\d+))"));
  if (!ok) return {-1, -1};
  return {std::stoi(accepted[1]), std::stoi(duplicates[1])};
}

// Reads the server's aggregates of every test account.
std::vector<AccountCounts> ReadCounts(uint16_t port) {
  std::vector<AccountCounts> counts(kAccounts);
  HttpClient client(port);
  for (int a = 0; a < kAccounts; ++a) {
    HttpReply reply = client.Get("/v1/accounts/acct-" + std::to_string(a));
    if (reply.status == 404) continue;
    EXPECT_EQ(reply.status, 200) << reply.body;
    std::smatch match;
    if (std::regex_search(reply.body, match, std::regex(R"("event_count":(\d+))"))) {
      counts[a].events = std::stoll(match[1]);
    }
    std::smatch object;
    if (!std::regex_search(reply.body, object, std::regex(R"("counts":\{([^}]*)\})"))) continue;
    const std::string members = object[1];
    const std::regex member(R"re("([^"]+)":(\d+))re");
    for (auto it = std::sregex_iterator(members.begin(), members.end(), member);
         it != std::sregex_iterator(); ++it) {
      counts[a].by_name[(*it)[1]] = std::stoll((*it)[2]);
    }
  }
  return counts;
}

// Every batch sent, and the progress of the current round.
class Ledger {
 public:
  // Adds a batch before it is sent, so a batch in flight at the kill is
  // known as unacknowledged. Returns its index.
  size_t Add(SentBatch batch) {
    std::lock_guard<std::mutex> lock(mutex_);
    batches_.push_back(std::make_unique<SentBatch>(std::move(batch)));
    return batches_.size() - 1;
  }

  void Acknowledge(size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    batches_[index]->acknowledged = true;
  }

  // Counts one response (or failure) of the round and wakes WaitForAnswers.
  void NoteAnswer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++answers_;
    }
    answered_.notify_all();
  }

  // Waits until `count` responses arrived this round, or `timeout` passed.
  void WaitForAnswers(int count, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    answered_.wait_for(lock, timeout, [&] { return answers_ >= count; });
  }

  void StartRound() {
    std::lock_guard<std::mutex> lock(mutex_);
    answers_ = 0;
  }

  // Only while no client runs.
  std::vector<std::unique_ptr<SentBatch>>& batches() { return batches_; }

 private:
  std::mutex mutex_;
  std::condition_variable answered_;
  std::vector<std::unique_ptr<SentBatch>> batches_;
  int answers_ = 0;
};

// Posts new batches until `stop` or until the server goes away.
void RunClient(uint16_t port, const std::string& prefix, unsigned seed, Ledger* ledger,
               const std::atomic<bool>* stop) {
  std::mt19937 random(seed);
  try {
    HttpClient client(port);
    for (int n = 0; n < kMaxBatchesPerRound && !stop->load(); ++n) {
      const std::string batch_id = prefix + "-" + std::to_string(n);
      SentBatch batch;
      batch.account = static_cast<int>(random() % kAccounts);
      batch.size = 1 + static_cast<int>(random() % kMaxEventsPerBatch);
      batch.body = BuildBatch(batch_id, batch.account, batch.size);
      const std::string body = batch.body;
      const int size = batch.size;
      const size_t index = ledger->Add(std::move(batch));

      HttpReply reply = client.Post("/v1/batch", body, kAuth);
      if (reply.status == 200) {
        EXPECT_EQ(AcceptedAndDuplicates(reply.body), std::make_pair(size, 0)) << reply.body;
        ledger->Acknowledge(index);
      } else {
        ADD_FAILURE() << "batch " << batch_id << " got " << reply.status << ": " << reply.body;
      }
      ledger->NoteAnswer();
    }
  } catch (const std::exception&) {
    // The server was killed: the batch in flight stays unacknowledged.
    ledger->NoteAnswer();
  }
}

int KillCount() {
  const char* text = std::getenv("UPTAKE_CRASH_KILLS");
  if (text == nullptr || *text == '\0') return 20;
  return std::max(1, std::atoi(text));
}

class CrashTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config_path_ = dir_.path() + "/uptake.yaml";
    data_dir_ = dir_.path() + "/data";
    log_path_ = dir_.path() + "/uptake.log";
    WriteFile(config_path_, std::string("clock: event\nwrite_keys: [") + kWriteKey +
                                "]\nthreads: 4\nlimits: {max_event_age_days: 10000}\n"
                                "storage: {durability: " +
                                GetParam() + "}\n");
  }

  // Starts the server and fails the test when it does not come up.
  std::unique_ptr<ServerProcess> Start() {
    auto server = std::make_unique<ServerProcess>(config_path_, data_dir_, log_path_);
    if (server->port() == 0) return nullptr;
    return server;
  }

  // Sums the acknowledged and the unacknowledged batches per account.
  void Tally(std::vector<AccountCounts>* acknowledged, std::vector<AccountCounts>* unacknowledged) {
    acknowledged->assign(kAccounts, {});
    unacknowledged->assign(kAccounts, {});
    for (const auto& batch : ledger_.batches()) {
      Count(*batch, batch->acknowledged ? acknowledged : unacknowledged);
    }
  }

  // After a restart: each account contains every acknowledged event and at
  // most the unacknowledged ones besides.
  void CheckBounds(uint16_t port, int round) {
    std::vector<AccountCounts> acknowledged;
    std::vector<AccountCounts> unacknowledged;
    Tally(&acknowledged, &unacknowledged);
    const std::vector<AccountCounts> stored = ReadCounts(port);
    for (int a = 0; a < kAccounts; ++a) {
      EXPECT_GE(stored[a].events, acknowledged[a].events) << "round " << round << " acct-" << a;
      EXPECT_LE(stored[a].events, acknowledged[a].events + unacknowledged[a].events)
          << "round " << round << " acct-" << a;
    }
  }

  // Resends `count` acknowledged batches picked at random, or every one when
  // `count` is negative: each must be all duplicates.
  void ResendAcknowledged(uint16_t port, std::mt19937& random, int count) {
    std::vector<SentBatch*> acknowledged;
    for (const auto& batch : ledger_.batches()) {
      if (batch->acknowledged) acknowledged.push_back(batch.get());
    }
    if (count >= 0) {
      std::shuffle(acknowledged.begin(), acknowledged.end(), random);
      acknowledged.resize(std::min(acknowledged.size(), static_cast<size_t>(count)));
    }
    HttpClient client(port);
    for (const SentBatch* sent : acknowledged) {
      const SentBatch& batch = *sent;
      HttpReply reply = client.Post("/v1/batch", batch.body, kAuth);
      ASSERT_EQ(reply.status, 200) << reply.body;
      EXPECT_EQ(AcceptedAndDuplicates(reply.body), std::make_pair(batch.size, batch.size))
          << "an acknowledged batch was not kept: " << batch.body;
    }
  }

  // Resends every unacknowledged batch once. A batch is one write, so it
  // was stored whole or not at all: its answer lists all or none of its
  // events as duplicates. Adds the batches that were already stored to
  // `stored_before`.
  void ResendUnacknowledged(uint16_t port, std::vector<AccountCounts>* stored_before) {
    HttpClient client(port);
    int unacknowledged = 0;
    int already_stored = 0;
    for (const auto& batch : ledger_.batches()) {
      if (batch->acknowledged) continue;
      ++unacknowledged;
      HttpReply reply = client.Post("/v1/batch", batch->body, kAuth);
      ASSERT_EQ(reply.status, 200) << reply.body;
      const auto [accepted, duplicates] = AcceptedAndDuplicates(reply.body);
      EXPECT_EQ(accepted, batch->size) << reply.body;
      EXPECT_TRUE(duplicates == 0 || duplicates == batch->size)
          << "a batch was stored in part: " << reply.body;
      if (duplicates == batch->size) {
        Count(*batch, stored_before);
        ++already_stored;
      }
      batch->acknowledged = true;
    }
    RecordProperty("unacknowledged_batches", std::to_string(unacknowledged));
    RecordProperty("unacknowledged_but_stored", std::to_string(already_stored));
  }

  TempDir dir_;
  std::string config_path_;
  std::string data_dir_;
  std::string log_path_;
  Ledger ledger_;
};

TEST_P(CrashTest, AcknowledgedEventsSurviveKills) {
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed) + ", durability " + GetParam());
  std::mt19937 random(seed);
  const int kills = KillCount();

  for (int round = 0; round < kills; ++round) {
    std::unique_ptr<ServerProcess> server = Start();
    ASSERT_NE(server, nullptr) << "round " << round;
    CheckBounds(server->port(), round);
    ResendAcknowledged(server->port(), random, 2);

    ledger_.StartRound();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < kClientThreads; ++t) {
      const std::string prefix = Numbered(Numbered("r", round) + "t", t);
      clients.emplace_back(RunClient, server->port(), prefix, static_cast<unsigned>(random()),
                           &ledger_, &stop);
    }
    // The kill lands after a random number of responses plus a random few
    // hundred microseconds, so it hits requests at every stage: parsing,
    // the dedup check, the RocksDB write, the response.
    ledger_.WaitForAnswers(static_cast<int>(random() % 60), std::chrono::seconds(30));
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 500));
    server->Kill();
    stop = true;
    for (std::thread& client : clients) client.join();
    if (HasFailure()) {
      ADD_FAILURE() << "server log:\n" << server->Log().substr(0, 20000);
      return;
    }
  }

  std::unique_ptr<ServerProcess> server = Start();
  ASSERT_NE(server, nullptr);
  CheckBounds(server->port(), kills);

  // Exact accounting: what the server stores is every acknowledged batch
  // plus exactly the unacknowledged batches it turns out to have stored.
  std::vector<AccountCounts> acknowledged;
  std::vector<AccountCounts> unacknowledged;
  Tally(&acknowledged, &unacknowledged);
  const std::vector<AccountCounts> before = ReadCounts(server->port());
  std::vector<AccountCounts> expected_before = acknowledged;
  ResendUnacknowledged(server->port(), &expected_before);
  EXPECT_EQ(before, expected_before);

  // Now every batch is acknowledged: the aggregates equal a recount of all
  // that was sent, and every acknowledged batch is a duplicate when resent.
  std::vector<AccountCounts> everything;
  std::vector<AccountCounts> none;
  Tally(&everything, &none);
  EXPECT_EQ(ReadCounts(server->port()), everything);
  ResendAcknowledged(server->port(), random, -1);

  // A clean restart rebuilds the same aggregates from the log.
  EXPECT_EQ(server->Stop(), 0);
  server = Start();
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(ReadCounts(server->port()), everything);

  size_t events = 0;
  for (const AccountCounts& account : everything) events += account.events;
  RecordProperty("batches", std::to_string(ledger_.batches().size()));
  RecordProperty("events", std::to_string(events));
}

INSTANTIATE_TEST_SUITE_P(Durability, CrashTest, ::testing::Values("wal", "fsync"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace uptake::testing
