// The kernel's cluster channels (events/ClusterChannels) on a real redis-server: who else is
// there, messages to the other nodes only, nothing sent by a node alone, a clean stop seen at
// once, and peers forgotten while Redis is away. (A killed node's loss: signalling's ClusterTest.)
#include "RedisServer.hpp"

#include "events/ClusterChannels.hpp"
#include "log/Logger.hpp"

#include <gtest/gtest.h>

#include <mutex>

using namespace vtp::kernel;
using namespace vtp::test;

namespace {

struct Inbox {
    std::mutex mutex;
    std::vector<Event> got;
    EventHandler handler()
    {
        return [this](const Event& e) {
            std::lock_guard lock(mutex);
            got.push_back(e);
        };
    }
    std::vector<Event> all()
    {
        std::lock_guard lock(mutex);
        return got;
    }
};

class ClusterChannelsOnRedis : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(redis_.start()) << redis_.logs(); }

    std::unique_ptr<ClusterChannels> node(const std::string& id, std::chrono::milliseconds timeout = std::chrono::seconds(30))
    {
        ClusterSettings s;
        s.url = redis_.url();
        s.prefix = "test:events";
        s.nodeId = id;
        s.heartbeat = std::chrono::milliseconds(200);
        s.nodeTimeout = timeout;
        return std::make_unique<ClusterChannels>(s, log_);
    }

    RedisServer redis_;
    Logger log_{stderr};
};

TEST_F(ClusterChannelsOnRedis, NodesSeeEachOtherAndMessagesReachOnlyTheOthers)
{
    auto a = node("node-a/1");
    Inbox aInbox;
    a->subscribe("test", "demo.sync", aInbox.handler());
    a->start();
    // Alone: nothing is sent.
    EXPECT_EQ(a->send("demo.sync", "nobody hears this"), ClusterChannels::SendResult::NoPeers);

    auto b = node("node-b/2");
    Inbox bInbox, bOther;
    b->subscribe("test", "demo.sync", bInbox.handler());
    b->subscribe("test", "demo.other", bOther.handler());
    b->start();
    ASSERT_TRUE(eventually([&] {
        return a->peers() == std::vector<std::string>{"node-b/2"} && b->peers() == std::vector<std::string>{"node-a/1"};
    })) << a->peers().size()
        << " " << b->peers().size();

    // Any bytes, newlines and NULs included, arrive as sent, with the sender's id.
    const std::string data("line one\nline two\0end", 22);
    EXPECT_EQ(a->send("demo.sync", data), ClusterChannels::SendResult::Queued);
    ASSERT_TRUE(eventually([&] { return bInbox.all().size() == 1; }));
    const Event got = bInbox.all().at(0);
    EXPECT_EQ(got.name, "demo.sync");
    EXPECT_EQ(got.payload, data);
    EXPECT_EQ(got.origin, "node-a/1");
    // B answers; A's subscription gets it, and never its own message.
    EXPECT_EQ(b->send("demo.sync", "back"), ClusterChannels::SendResult::Queued);
    ASSERT_TRUE(eventually([&] { return aInbox.all().size() == 1; }));
    EXPECT_EQ(aInbox.all().at(0).payload, "back");
    EXPECT_EQ(aInbox.all().at(0).origin, "node-b/2");
    EXPECT_TRUE(bOther.all().empty()); // another channel
    EXPECT_EQ(bInbox.all().size(), 1u);
    EXPECT_EQ(a->stats().sent, 1u);
    EXPECT_EQ(a->stats().skipped, 1u);
    EXPECT_EQ(b->stats().received, 1u);

    // A clean stop leaves the node set: the other sees it gone at its next read, long before the
    // 30 s timeout, and is alone again.
    b->stop();
    ASSERT_TRUE(eventually([&] { return a->peers().empty(); }, std::chrono::seconds(5)));
    EXPECT_EQ(a->send("demo.sync", "gone"), ClusterChannels::SendResult::NoPeers);
}

TEST_F(ClusterChannelsOnRedis, PeersAreForgottenWhenRedisIsGoneForTheTimeoutAndFoundAgain)
{
    auto a = node("node-a/1", std::chrono::seconds(2));
    auto b = node("node-b/2", std::chrono::seconds(2));
    a->start();
    b->start();
    ASSERT_TRUE(eventually([&] { return a->peers().size() == 1 && b->peers().size() == 1; }));
    // Redis dies: a node that cannot read the set forgets its peers after the timeout.
    redis_.kill();
    const auto killed = std::chrono::steady_clock::now();
    ASSERT_TRUE(eventually([&] { return a->peers().empty(); }, std::chrono::seconds(15)));
    // Not before the timeout, counted from the last read (at most one 200 ms heartbeat before the kill).
    EXPECT_GE(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(1800));
    EXPECT_EQ(a->send("demo.sync", "x"), ClusterChannels::SendResult::NoPeers);
    // Back: they find each other again.
    ASSERT_TRUE(redis_.start());
    ASSERT_TRUE(eventually([&] { return a->peers().size() == 1 && b->peers().size() == 1; }, std::chrono::seconds(20)));
}

TEST(ClusterChannels, WithoutRedisThereIsNoOtherNodeAndNothingIsSent)
{
    Logger log{stderr};
    ClusterSettings s;
    s.nodeId = "solo/1";
    ClusterChannels c(s, log);
    c.start();
    EXPECT_FALSE(c.enabled());
    EXPECT_TRUE(c.peers().empty());
    EXPECT_EQ(c.send("demo.sync", "x"), ClusterChannels::SendResult::NoPeers);
    EXPECT_THROW(c.send("Not A Name", "x"), EventError);
    EXPECT_THROW(c.send("demo.sync", std::string(s.maxMessageBytes + 1, 'x')), EventError);
    EXPECT_THROW(c.subscribe("test", "bad pattern*", [](const Event&) {}), EventError);
    EXPECT_EQ(c.stats().skipped, 1u);
}

TEST(ClusterChannels, WireFormatRoundTripsAndRefusesGarbage)
{
    const std::string data("{\"t\":\"emit\"}\n second line \0", 28);
    const auto d = ClusterChannels::decode(ClusterChannels::encode("node a/x1", 42, data));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->from, "node a/x1");
    EXPECT_EQ(d->seq, 42u);
    EXPECT_EQ(d->data, data);
    for (const char* bad : {"", "no newline", " 1\nleading space", "node x\nnot a number", "node 12a\n", "node \n"})
        EXPECT_FALSE(ClusterChannels::decode(bad).has_value()) << bad;
}

TEST(ClusterChannels, PeersAreTheListWithoutSelfPlusNodesHeardSinceItWasRead)
{
    using Clock = std::chrono::steady_clock;
    const auto read = Clock::now();
    const std::map<std::string, Clock::time_point> heard{
        {"late", read + std::chrono::milliseconds(5)}, {"stale", read - std::chrono::seconds(1)}, {"me", read + std::chrono::seconds(1)}};
    EXPECT_EQ(ClusterChannels::mergePeers({"me", "b", "a"}, "me", heard, read), (std::vector<std::string>{"a", "b", "late"}));
}

} // namespace
