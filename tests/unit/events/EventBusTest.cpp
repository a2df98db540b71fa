#include "events/EventBus.hpp"
#include "log/Logger.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace vtp::kernel;
using namespace std::chrono_literals;

namespace {

// Collects what a handler received; waits on a condition, never on time alone.
struct Received {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Event> events;

    void add(const Event& e)
    {
        std::lock_guard lock(mutex);
        events.push_back(e);
        changed.notify_all();
    }
    bool waitFor(size_t n, std::chrono::milliseconds timeout = 10s)
    {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return events.size() >= n; });
    }
    std::vector<std::string> names()
    {
        std::lock_guard lock(mutex);
        std::vector<std::string> out;
        for (const auto& e : events) out.push_back(e.name);
        return out;
    }
};

// A gate a handler blocks on until the test opens it.
struct Gate {
    std::mutex mutex;
    std::condition_variable cv;
    bool open = false, entered = false;
    void pass()
    {
        std::unique_lock lock(mutex);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return open; });
    }
    bool waitEntered()
    {
        std::unique_lock lock(mutex);
        return cv.wait_for(lock, 10s, [&] { return entered; });
    }
    void release()
    {
        std::lock_guard lock(mutex);
        open = true;
        cv.notify_all();
    }
};

// Opens the gate when a test ends early, so that the bus's destructor can join the handler.
struct OpenOnExit {
    Gate& gate;
    ~OpenOnExit() { gate.release(); }
};

class EventBusTest : public ::testing::Test {
protected:
    EventBusSettings settings(size_t capacity = 100)
    {
        EventBusSettings s;
        s.queueCapacity = capacity;
        s.maxPayloadBytes = 1024;
        s.nodeId = "node-a";
        return s;
    }
    Logger log_{stderr};
};

} // namespace

TEST(EventPattern, MatchesExactPrefixAndEverything)
{
    EXPECT_TRUE(eventPatternMatches("user.created", "user.created"));
    EXPECT_FALSE(eventPatternMatches("user.created", "user.created.late"));
    EXPECT_TRUE(eventPatternMatches("user.*", "user.created"));
    EXPECT_TRUE(eventPatternMatches("user.*", "user.profile.changed"));
    EXPECT_FALSE(eventPatternMatches("user.*", "user"));
    EXPECT_FALSE(eventPatternMatches("user.*", "users.created"));
    EXPECT_TRUE(eventPatternMatches("*", "anything.at.all"));
}

TEST(EventPattern, RefusesMalformedNamesAndPatterns)
{
    for (const char* bad : {"", "User.created", "user..created", "user.", ".user", "user-created", "1user", "user created"})
        EXPECT_THROW(validateEventName(bad), EventError) << bad;
    EXPECT_THROW(validateEventName(std::string(129, 'a')), EventError);
    EXPECT_NO_THROW(validateEventName("room.chat_message.sent2"));
    for (const char* bad : {"user*", "*.created", "user.*.x", "**", ".*"}) EXPECT_THROW(validateEventPattern(bad), EventError) << bad;
    EXPECT_NO_THROW(validateEventPattern("*"));
    EXPECT_NO_THROW(validateEventPattern("user.*"));
}

TEST_F(EventBusTest, DeliversToMatchingSubscribersWithOrigin)
{
    Received users, all, other;
    EventBus bus(settings(), log_);
    bus.subscribe("a", "user.*", [&](const Event& e) { users.add(e); });
    bus.subscribe("b", "*", [&](const Event& e) { all.add(e); });
    bus.subscribe("c", "room.closed", [&](const Event& e) { other.add(e); });
    bus.start();
    const auto r = bus.publish("user.created", R"({"id":7})");
    EXPECT_EQ(r.subscribers, 2u);
    EXPECT_EQ(r.dropped, 0u);
    ASSERT_TRUE(users.waitFor(1));
    ASSERT_TRUE(all.waitFor(1));
    bus.stop();
    EXPECT_EQ(users.events[0].payload, R"({"id":7})");
    EXPECT_EQ(users.events[0].origin, "node-a");
    EXPECT_FALSE(users.events[0].id.empty());
    EXPECT_TRUE(other.events.empty());
}

TEST_F(EventBusTest, RefusesInvalidPayloads)
{
    EventBus bus(settings(), log_);
    EXPECT_THROW(bus.publish("user.created", "[1,2]"), EventError);
    EXPECT_THROW(bus.publish("user.created", "{\"a\":"), EventError);
    EXPECT_THROW(bus.publish("user.created", ""), EventError);
    EXPECT_THROW(bus.publish("user.created", "{\"a\":\"" + std::string(2000, 'x') + "\"}"), EventError);
    EXPECT_THROW(bus.publish("Bad Name", "{}"), EventError);
    EXPECT_EQ(bus.stats().published, 0u);
}

TEST_F(EventBusTest, KeepsPublicationOrderPerSubscription)
{
    Received got;
    EventBus bus(settings(1000), log_);
    bus.subscribe("a", "seq.*", [&](const Event& e) { got.add(e); });
    bus.start();
    for (int i = 0; i < 500; ++i) bus.publish("seq.n" + std::to_string(i), "{}");
    ASSERT_TRUE(got.waitFor(500));
    const auto names = got.names();
    for (int i = 0; i < 500; ++i) ASSERT_EQ(names[static_cast<size_t>(i)], "seq.n" + std::to_string(i));
}

TEST_F(EventBusTest, SlowSubscriberDoesNotBlockPublisherOrOthersAndDropsAreCounted)
{
    Gate gate;
    Received fast;
    EventBus bus(settings(4), log_);
    OpenOnExit guard{gate};
    bus.subscribe("slow", "*", [&](const Event&) { gate.pass(); });
    bus.subscribe("fast", "*", [&](const Event& e) { fast.add(e); });
    bus.start();

    bus.publish("tick.first", "{}");
    ASSERT_TRUE(gate.waitEntered()); // the slow handler is now stuck on the first event
    // Its queue holds 4 more; the next 5 are dropped for it alone, and publish never waits.
    // The fast subscriber gets all ten meanwhile (publishing is paced by its progress, since
    // its queue holds 4 too).
    ASSERT_TRUE(fast.waitFor(1));
    size_t droppedReported = 0;
    for (size_t i = 0; i < 9; ++i) {
        droppedReported += bus.publish("tick.more", "{}").dropped;
        ASSERT_TRUE(fast.waitFor(i + 2));
    }
    EXPECT_EQ(droppedReported, 5u);
    auto stats = bus.subscriptionStats();
    ASSERT_EQ(stats.size(), 2u);
    EXPECT_EQ(stats[0].owner, "slow");
    EXPECT_EQ(stats[0].dropped, 5u);
    EXPECT_EQ(stats[0].queued, 4u);
    EXPECT_EQ(bus.stats().published, 10u);

    gate.release();
    bus.stop();
    stats = bus.subscriptionStats();
    EXPECT_EQ(stats[0].delivered, 5u); // the first and the four queued
}

TEST_F(EventBusTest, StopDrainsQueuedEventsAndJoins)
{
    Gate gate;
    std::atomic<int> handled{0};
    EventBus bus(settings(), log_);
    OpenOnExit guard{gate};
    bus.subscribe("a", "*", [&](const Event&) {
        if (handled.fetch_add(1) == 0) gate.pass();
    });
    bus.start();
    for (int i = 0; i < 20; ++i) bus.publish("work.item", "{}");
    ASSERT_TRUE(gate.waitEntered());
    std::thread stopper([&] { bus.stop(10s); });
    gate.release();
    stopper.join();
    // stop() returned only after every queued event was handled.
    EXPECT_EQ(handled.load(), 20);
    EXPECT_EQ(bus.stats().delivered, 20u);
    EXPECT_EQ(bus.stats().dropped, 0u);
}

TEST_F(EventBusTest, StopDropsWhatIsLeftAtTheDeadline)
{
    Gate gate;
    EventBus bus(settings(), log_);
    OpenOnExit guard{gate};
    bus.subscribe("a", "*", [&](const Event&) { gate.pass(); });
    bus.start();
    for (int i = 0; i < 5; ++i) bus.publish("work.item", "{}");
    ASSERT_TRUE(gate.waitEntered());
    std::thread stopper([&] { bus.stop(0ms); });
    // Release the handler only once stop() has begun, so that the deadline has passed.
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!bus.stopping() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    gate.release();
    stopper.join();
    const auto s = bus.stats();
    EXPECT_EQ(s.delivered, 1u);
    EXPECT_EQ(s.dropped, 4u);
    EXPECT_EQ(s.queued, 0u);
}

TEST_F(EventBusTest, QueuesUntilStartedSoNothingRunsBeforeStart)
{
    Received got;
    EventBus bus(settings(), log_);
    bus.subscribe("a", "*", [&](const Event& e) { got.add(e); });
    bus.publish("early.bird", "{}");
    EXPECT_TRUE(got.names().empty()); // no delivery thread exists before start()
    EXPECT_EQ(bus.stats().queued, 1u);
    bus.start();
    ASSERT_TRUE(got.waitFor(1));
    EXPECT_EQ(got.names()[0], "early.bird");
}

TEST_F(EventBusTest, RemoveOwnerStopsItsDeliveriesOnly)
{
    Received a, b;
    EventBus bus(settings(), log_);
    bus.subscribe("plugin_a", "*", [&](const Event& e) { a.add(e); });
    bus.subscribe("plugin_b", "*", [&](const Event& e) { b.add(e); });
    bus.start();
    bus.removeOwner("plugin_a");
    bus.publish("after.removal", "{}");
    ASSERT_TRUE(b.waitFor(1));
    bus.stop();
    EXPECT_TRUE(a.events.empty());
    ASSERT_EQ(bus.subscriptionStats().size(), 1u);
}

TEST_F(EventBusTest, RemoteEventsReachLocalSubscribersButAreNotForwarded)
{
    Received got;
    EventBus bus(settings(), log_);
    std::vector<std::string> forwarded;
    bus.setForwarder([&](const Event& e) {
        forwarded.push_back(e.name);
        return true;
    });
    bus.subscribe("a", "*", [&](const Event& e) { got.add(e); });
    bus.start();
    bus.deliverRemote(Event{"from.elsewhere", "{}", "node-b", "id-1"});
    bus.publish("from.here", "{}");
    ASSERT_TRUE(got.waitFor(2));
    bus.stop();
    EXPECT_EQ(got.events[0].origin, "node-b");
    EXPECT_EQ(got.events[1].origin, "node-a");
    EXPECT_EQ(forwarded, std::vector<std::string>{"from.here"});
}

TEST_F(EventBusTest, DefaultNodeIdNamesHostAndProcess)
{
    EventBusSettings s = settings();
    s.nodeId.clear();
    EventBus bus(s, log_);
    EXPECT_TRUE(bus.nodeId().ends_with("-" + std::to_string(::getpid()))) << bus.nodeId();
}
