// The repository over a connection pool, used from several threads at once as
// the control API's store threads use it: every turn is stored exactly once,
// a repeated turn id is still stored once (and the stored text is the text of
// the one call that reported storing it), and lists see consistent rows.
#include "store_fixture.hpp"

#include <atomic>
#include <latch>
#include <set>
#include <thread>

namespace convox::control_api::testing {
namespace {

constexpr int kThreads = 6;
constexpr int kTurnsPerThread = 40;
constexpr int kConversations = 3;

ConversationRecord conversation(const std::string& id, int64_t createdAt) {
  ConversationRecord c;
  c.id = id;
  c.agentId = "agent";
  c.status = "created";
  c.traceId = "trace-" + id;
  c.room = "room-" + id;
  c.createdAt = createdAt;
  return c;
}

std::string conversationId(int i) { return "cc" + std::to_string(i % kConversations); }

class ConcurrentStoreTest : public StoreTest {};

TEST_P(ConcurrentStoreTest, ConcurrentTurnIngestAndListsStoreEveryTurnOnce) {
  const auto pooled = open(4);
  const auto team = pooled->createTeam("concurrent");
  for (int c = 0; c < kConversations; ++c) pooled->createConversation(team, conversation(conversationId(c), c + 1));

  // winner[i]: the thread whose addTurn of the shared turn i reported storing it.
  std::vector<std::atomic<int>> winner(kTurnsPerThread);
  for (auto& w : winner) w = -1;
  std::atomic<int> sharedStores{0};
  std::atomic<int> failures{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kTurnsPerThread; ++i) {
        try {
          const auto own = "own-" + std::to_string(t) + "-" + std::to_string(i);
          if (!pooled->addTurn(team, conversationId(i), {own, "user", own, i, false}, i)) ++failures;
          // Every thread offers the same shared turn id with its own text.
          const auto shared = "shared-" + std::to_string(i);
          if (pooled->addTurn(team, conversationId(i), {shared, "agent", "from " + std::to_string(t), i, false}, i)) {
            ++sharedStores;
            int none = -1;
            if (!winner[static_cast<size_t>(i)].compare_exchange_strong(none, t)) ++failures;
          }
          if (pooled->listConversations(team, {}).size() != static_cast<size_t>(kConversations)) ++failures;
          pooled->listTurns(team, conversationId(i));
        } catch (const std::exception& e) {
          ADD_FAILURE() << "thread " << t << ": " << e.what();
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(sharedStores.load(), kTurnsPerThread);
  std::set<std::string> seen;
  size_t total = 0;
  for (int c = 0; c < kConversations; ++c) {
    for (const auto& turn : pooled->listTurns(team, conversationId(c))) {
      ++total;
      EXPECT_TRUE(seen.insert(turn.turnId).second) << "stored twice: " << turn.turnId;
      if (turn.turnId.starts_with("shared-")) {
        const auto i = std::stoi(turn.turnId.substr(7));
        EXPECT_EQ(turn.text, "from " + std::to_string(winner[static_cast<size_t>(i)].load()));
      } else {
        EXPECT_EQ(turn.text, turn.turnId);
      }
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kThreads * kTurnsPerThread + kTurnsPerThread));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrentStoreTest, ::testing::Values(Backend::Sqlite, Backend::Postgres),
                         backendName);

}  // namespace
}  // namespace convox::control_api::testing
