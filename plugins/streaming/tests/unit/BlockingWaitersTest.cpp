#include "BlockingWaiters.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace vtp::streaming;
using Clock = BlockingWaiters::Clock;
using namespace std::chrono_literals;

namespace {

EdgeState edgeAt(uint64_t nextMsn, uint32_t parts, bool ended = false)
{
    EdgeState e;
    e.nextMsn = nextMsn;
    e.partsInProgress = parts;
    e.ended = ended;
    return e;
}

// Records each callback's outcome, in order.
struct Log {
    std::vector<std::pair<int, WaitOutcome>> fired;
    BlockingWaiters::Callback make(int tag)
    {
        return [this, tag](WaitOutcome o) { fired.emplace_back(tag, o); };
    }
};

} // namespace

TEST(BlockingWaiters, AdvanceFiresExactlyTheReachedTargets)
{
    BlockingWaiters w;
    Log log;
    const auto far = Clock::now() + 1h;
    w.advance("720p", edgeAt(10, 1));
    EXPECT_EQ(w.add("720p", 10, 1, far, log.make(1)).status, BlockingWaiters::AddStatus::Waiting);
    EXPECT_EQ(w.add("720p", 10, 2, far, log.make(2)).status, BlockingWaiters::AddStatus::Waiting);
    EXPECT_EQ(w.add("720p", 10, std::nullopt, far, log.make(3)).status, BlockingWaiters::AddStatus::Waiting); // whole segment
    EXPECT_EQ(w.add("720p", 11, 0, far, log.make(4)).status, BlockingWaiters::AddStatus::Waiting);
    EXPECT_EQ(w.add("360p", 10, 1, far, log.make(5)).status, BlockingWaiters::AddStatus::Waiting);
    EXPECT_EQ(w.size(), 5u);

    EXPECT_EQ(w.advance("720p", edgeAt(10, 2)), 1u); // part 10.1 published
    ASSERT_EQ(log.fired.size(), 1u);
    EXPECT_EQ(log.fired[0], std::make_pair(1, WaitOutcome::Ready));

    EXPECT_EQ(w.advance("720p", edgeAt(11, 0)), 2u); // segment 10 complete: 10.2 (or later) and 10
    ASSERT_EQ(log.fired.size(), 3u);
    EXPECT_EQ(log.fired[1].first, 2);
    EXPECT_EQ(log.fired[2].first, 3);
    EXPECT_EQ(w.size("720p"), 1u);
    EXPECT_EQ(w.size("360p"), 1u); // another rendition's waiter is untouched

    EXPECT_EQ(w.advance("720p", edgeAt(11, 1)), 1u);
    EXPECT_EQ(log.fired.back(), std::make_pair(4, WaitOutcome::Ready));
    EXPECT_EQ(w.size("720p"), 0u);
}

TEST(BlockingWaiters, AddAfterTheWriterGotThereAnswersNow)
{
    BlockingWaiters w;
    Log log;
    w.advance("720p", edgeAt(10, 3));
    // The caller decided "wait" on an older edge; the registry knows better and says so.
    const auto r = w.add("720p", 10, 2, Clock::now() + 1h, log.make(1));
    EXPECT_EQ(r.status, BlockingWaiters::AddStatus::ReadyNow);
    EXPECT_EQ(w.size(), 0u);
    EXPECT_TRUE(log.fired.empty()); // the caller answers; the callback is not run
}

TEST(BlockingWaiters, ExpireFiresOnlyTheTimedOutOnes)
{
    BlockingWaiters w;
    Log log;
    const auto t0 = Clock::now();
    w.add("720p", 10, 0, t0 + 3s, log.make(1));
    w.add("720p", 10, 1, t0 + 1s, log.make(2));
    w.add("480p", 10, 0, t0 + 2s, log.make(3));
    EXPECT_EQ(w.nextDeadline(), t0 + 1s);

    EXPECT_EQ(w.expire(t0 + 500ms), 0u);
    EXPECT_EQ(w.expire(t0 + 2s), 2u);
    ASSERT_EQ(log.fired.size(), 2u);
    EXPECT_EQ(log.fired[0], std::make_pair(2, WaitOutcome::TimedOut));
    EXPECT_EQ(log.fired[1], std::make_pair(3, WaitOutcome::TimedOut));
    EXPECT_EQ(w.nextDeadline(), t0 + 3s);
    // A fired waiter does not fire again, on advance or on expiry.
    EXPECT_EQ(w.advance("720p", edgeAt(11, 0)), 1u);
    EXPECT_EQ(w.expire(t0 + 1h), 0u);
    EXPECT_EQ(log.fired.size(), 3u);
    EXPECT_FALSE(w.nextDeadline());
}

TEST(BlockingWaiters, RefusesBeyondTheBoundPerRendition)
{
    BlockingWaiters w(2);
    Log log;
    const auto far = Clock::now() + 1h;
    EXPECT_EQ(w.add("720p", 10, 0, far, log.make(1)).status, BlockingWaiters::AddStatus::Waiting);
    EXPECT_EQ(w.add("720p", 10, 0, far, log.make(2)).status, BlockingWaiters::AddStatus::Waiting);
    EXPECT_EQ(w.add("720p", 10, 0, far, log.make(3)).status, BlockingWaiters::AddStatus::Refused);
    EXPECT_EQ(w.add("480p", 10, 0, far, log.make(4)).status, BlockingWaiters::AddStatus::Waiting); // per rendition
    EXPECT_EQ(w.size("720p"), 2u);
    w.advance("720p", edgeAt(10, 1));
    EXPECT_EQ(w.add("720p", 10, 1, far, log.make(5)).status, BlockingWaiters::AddStatus::Waiting); // room again
}

TEST(BlockingWaiters, CancelCloseAndEndFireTheRightOutcome)
{
    BlockingWaiters w;
    Log log;
    const auto far = Clock::now() + 1h;
    const auto a = w.add("720p", 10, 0, far, log.make(1));
    w.add("720p", 12, 0, far, log.make(2));
    w.add("480p", 10, 0, far, log.make(3));
    EXPECT_TRUE(w.cancel(a.id));
    EXPECT_FALSE(w.cancel(a.id));
    EXPECT_EQ(log.fired.back(), std::make_pair(1, WaitOutcome::Cancelled));

    EXPECT_EQ(w.advance("720p", edgeAt(10, 0, /*ended=*/true)), 1u); // the end answers every waiter
    EXPECT_EQ(log.fired.back(), std::make_pair(2, WaitOutcome::Ready));
    EXPECT_EQ(w.add("720p", 99, 0, far, log.make(9)).status, BlockingWaiters::AddStatus::ReadyNow);

    EXPECT_EQ(w.close("480p"), 1u);
    EXPECT_EQ(log.fired.back(), std::make_pair(3, WaitOutcome::Cancelled));
    EXPECT_EQ(w.size(), 0u);
}

TEST(BlockingWaiters, CallbacksRunOutsideTheLockAndMayThrow)
{
    BlockingWaiters w;
    const auto far = Clock::now() + 1h;
    bool reentered = false;
    // A callback that uses the registry itself would deadlock if run under its lock.
    w.add("720p", 10, 0, far,
          [&](WaitOutcome) { reentered = w.add("720p", 11, 0, far, [](WaitOutcome) {}).status == BlockingWaiters::AddStatus::Waiting; });
    w.add("720p", 10, 0, far, [](WaitOutcome) { throw std::runtime_error("client gone"); });
    int after = 0;
    w.add("720p", 10, 0, far, [&](WaitOutcome) { ++after; });
    EXPECT_EQ(w.advance("720p", edgeAt(10, 1)), 3u);
    EXPECT_TRUE(reentered);
    EXPECT_EQ(after, 1); // a throwing callback does not stop the others
    EXPECT_EQ(w.callbackErrors(), 1u);
    EXPECT_EQ(w.size("720p"), 1u);
}

TEST(BlockingWaitersStress, EveryWaiterFiresOnceUnderConcurrentAdvance)
{
    BlockingWaiters w(100000);
    std::atomic<int> fired{0};
    constexpr int kReaders = 4, kPerReader = 500;
    std::atomic<int> readyNow{0};
    std::atomic<bool> go{false};
    std::thread writer([&] {
        while (!go) std::this_thread::yield();
        for (uint32_t p = 1; p <= 200; ++p) w.advance("720p", edgeAt(0, p));
        w.advance("720p", edgeAt(1, 0)); // segment 0 complete: every target below is reached
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r)
        readers.emplace_back([&, r] {
            while (!go) std::this_thread::yield();
            for (int i = 0; i < kPerReader; ++i) {
                const auto res = w.add("720p", 0, static_cast<uint32_t>((r * kPerReader + i) % 200), Clock::now() + 1h,
                                       [&](WaitOutcome o) { fired += o == WaitOutcome::Ready ? 1 : 1000; });
                if (res.status == BlockingWaiters::AddStatus::ReadyNow) ++readyNow;
            }
        });
    go = true;
    writer.join();
    for (auto& t : readers) t.join();
    // No wake-up is lost: each waiter was answered now or fired, once, as Ready.
    EXPECT_EQ(fired + readyNow, kReaders * kPerReader);
    EXPECT_EQ(w.size(), 0u);
}
