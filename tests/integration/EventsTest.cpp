// Two real vtpd nodes on one real redis-server: events published on one are delivered on the
// other, once, with their origin; the bridge reconnects when Redis is killed and restarted.
#include "IntegrationSupport.hpp"
#include "RedisServer.hpp"

#include <gtest/gtest.h>

using namespace vtp::test;

namespace {

VtpdOptions node(const std::string& id, const std::string& redisUrl)
{
    VtpdOptions o;
    o.enabled = {"testkit"};
    o.extraToml = "[node]\nid = \"" + id + "\"\n\n[redis]\nurl = \"" + redisUrl + "\"\n";
    return o;
}

std::string redisState(const VtpdProcess& v)
{
    auto r = v.get("/ready");
    if (r.status != 200) return "";
    auto events = r.json()->getObject("events");
    return events ? jsonString(events, "redis") : "";
}

void publish(const VtpdProcess& v, const std::string& name, int n)
{
    auto r = v.request("POST", "/api/v1/testkit/publish", R"({"name":")" + name + R"(","payload":{"n":)" + std::to_string(n) + "}}");
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_TRUE(r.json()->getValue<bool>("published")) << r.body;
}

struct Seen {
    std::string name, origin;
    int n = 0;
};

std::vector<Seen> received(const VtpdProcess& v)
{
    std::vector<Seen> out;
    auto r = v.get("/api/v1/testkit/events");
    if (r.status != 200) return out;
    auto a = r.json()->getArray("events");
    for (size_t i = 0; i < a->size(); ++i) {
        auto o = a->getObject(static_cast<unsigned>(i));
        out.push_back({jsonString(o, "name"), jsonString(o, "origin"), o->getObject("payload")->getValue<int>("n")});
    }
    return out;
}

size_t count(const std::vector<Seen>& seen, const std::string& name)
{
    return static_cast<size_t>(std::count_if(seen.begin(), seen.end(), [&](const Seen& s) { return s.name == name; }));
}

class EventsAcrossNodes : public ::testing::Test {
protected:
    void SetUp() override
    {
        ASSERT_TRUE(redis_.start()) << redis_.logs();
        a_ = std::make_unique<VtpdProcess>(node("node-a", redis_.url()));
        b_ = std::make_unique<VtpdProcess>(node("node-b", redis_.url()));
        ASSERT_TRUE(a_->start()) << a_->logs();
        ASSERT_TRUE(b_->start()) << b_->logs();
        ASSERT_TRUE(eventually([&] { return redisState(*a_) == "connected" && redisState(*b_) == "connected"; }))
            << a_->logs() << b_->logs();
    }

    // Publishes `name` on A and waits until both nodes have it (a later marker proves that no
    // duplicate was still on its way).
    void crossesOnce(const std::string& name, int n)
    {
        publish(*a_, name, n);
        publish(*a_, name + "_marker", n);
        ASSERT_TRUE(eventually([&] { return count(received(*b_), name + "_marker") == 1 && count(received(*a_), name + "_marker") == 1; }))
            << a_->logs() << b_->logs();
        for (auto* v : {a_.get(), b_.get()}) {
            const auto seen = received(*v);
            ASSERT_EQ(count(seen, name), 1u) << "on " << (v == a_.get() ? "A" : "B");
            for (const auto& s : seen)
                if (s.name == name) {
                    EXPECT_EQ(s.origin, "node-a");
                    EXPECT_EQ(s.n, n);
                }
        }
    }

    RedisServer redis_;
    std::unique_ptr<VtpdProcess> a_, b_;
};

} // namespace

TEST_F(EventsAcrossNodes, EventPublishedOnOneNodeIsDeliveredOnceOnEachNodeWithItsOrigin)
{
    crossesOnce("testkit.greeting", 1);
    // And the other way round, in order.
    publish(*b_, "testkit.reply", 2);
    publish(*b_, "testkit.reply", 3);
    ASSERT_TRUE(eventually([&] { return count(received(*a_), "testkit.reply") == 2; })) << a_->logs();
    std::vector<int> order;
    for (const auto& s : received(*a_))
        if (s.name == "testkit.reply") {
            order.push_back(s.n);
            EXPECT_EQ(s.origin, "node-b");
        }
    EXPECT_EQ(order, (std::vector<int>{2, 3}));
}

TEST_F(EventsAcrossNodes, BridgeReconnectsAfterRedisIsKilledAndRestarted)
{
    crossesOnce("testkit.before", 1);
    const pid_t pidA = a_->pid(), pidB = b_->pid();

    redis_.kill();
    ASSERT_TRUE(eventually([&] { return redisState(*a_) != "connected" && redisState(*b_) != "connected"; })) << a_->logs() << b_->logs();
    // Meanwhile events still reach this node's own subscribers.
    publish(*a_, "testkit.local_only", 5);
    ASSERT_TRUE(eventually([&] { return count(received(*a_), "testkit.local_only") == 1; }));

    ASSERT_TRUE(redis_.start()) << redis_.logs();
    ASSERT_TRUE(eventually([&] { return redisState(*a_) == "connected" && redisState(*b_) == "connected"; })) << a_->logs() << b_->logs();
    crossesOnce("testkit.after", 2);
    // What A published while Redis was down waited in its bounded send queue, and crossed now.
    ASSERT_TRUE(eventually([&] { return count(received(*b_), "testkit.local_only") == 1; })) << a_->logs();

    // Neither vtpd was restarted.
    EXPECT_EQ(a_->pid(), pidA);
    EXPECT_EQ(b_->pid(), pidB);
    EXPECT_NE(a_->logs().find("Redis bridge disconnected"), std::string::npos);
}
