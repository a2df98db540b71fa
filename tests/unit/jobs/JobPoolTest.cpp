// The worker pool against a real database (SQLite and PostgreSQL): bounded concurrency, retry
// with backoff, cancel (local and through another node), progress throttling, recovery of
// interrupted jobs, and one run per job across two nodes.
#include "JobTestFixture.hpp"

#include <atomic>
#include <map>

namespace vtp::kernel::test {
namespace {

using namespace std::chrono_literals;

class JobPoolTest : public JobTest {};

TEST_P(JobPoolTest, SubmittedJobSucceedsWithItsResultAndFullProgress)
{
    auto& pool = makePool(fastSettings());
    addKind(pool, "media.transcode", [&](vtp_job* job, const Poco::JSON::Object::Ptr& p, vtp_errbuf) {
        job->pool->reportProgress(*job->live, 0.5, "halfway");
        const std::string result = "{\"doubled\":" + std::to_string(p->getValue<int>("n") * 2) + "}";
        job->pool->reportResult(*job->live, result.data(), result.size());
        return int{VTP_OK};
    });
    pool.start();
    const std::string id = pool.submit("media.transcode", R"({"n":21})", "alice");
    ASSERT_TRUE(reaches(id, JobState::Succeeded));
    const JobRecord j = job(id);
    EXPECT_EQ(j.result.value_or(""), R"({"doubled":42})");
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.owner, "alice");
    EXPECT_EQ(j.node, "node-a");
    EXPECT_DOUBLE_EQ(j.progress, 1.0);
    EXPECT_EQ(j.message, "halfway");
    EXPECT_FALSE(j.error.has_value());
}

TEST_P(JobPoolTest, RunsNoMoreJobsAtOnceThanWorkers)
{
    auto settings = fastSettings();
    settings.workers = 2;
    auto& pool = makePool(settings);
    std::atomic<int> active{0}, maxActive{0};
    addKind(pool, "media.hold", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        const int now = ++active;
        int seen = maxActive.load();
        while (now > seen && !maxActive.compare_exchange_weak(seen, now)) {}
        gate_.wait();
        --active;
        return int{VTP_OK};
    });
    pool.start();
    std::vector<std::string> ids;
    for (int i = 0; i < 6; ++i) ids.push_back(pool.submit("media.hold", "{}", ""));
    ASSERT_TRUE(eventually([&] { return active.load() == 2; }));
    // Jobs are claimed only for a free worker, so the rest are still queued in the database.
    const auto counts = pool.countsByState();
    EXPECT_EQ(counts.at("running"), 2);
    EXPECT_EQ(counts.at("queued"), 4);
    EXPECT_EQ(pool.runningHere(), 2);
    gate_.open();
    for (const auto& id : ids) ASSERT_TRUE(reaches(id, JobState::Succeeded)) << id;
    EXPECT_EQ(maxActive.load(), 2);
}

TEST_P(JobPoolTest, FailedAttemptIsRetriedAfterBackoffThenSucceeds)
{
    auto settings = fastSettings();
    settings.backoffInitial = 300ms;
    settings.backoffMax = 300ms;
    auto& pool = makePool(settings);
    std::mutex m;
    std::vector<std::chrono::steady_clock::time_point> starts, ends;
    addKind(pool, "media.flaky", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf err) {
        std::lock_guard lock(m);
        starts.push_back(std::chrono::steady_clock::now());
        const bool fail = starts.size() == 1;
        if (fail) setError(err, "disk on fire");
        ends.push_back(std::chrono::steady_clock::now());
        return fail ? int{VTP_ERROR} : int{VTP_OK};
    });
    pool.start();
    const std::string id = pool.submit("media.flaky", "{}", "bob");
    ASSERT_TRUE(reaches(id, JobState::Succeeded));
    const JobRecord j = job(id);
    EXPECT_EQ(j.attempts, 2);
    std::lock_guard lock(m);
    ASSERT_EQ(starts.size(), 2u);
    EXPECT_GE(starts[1] - ends[0], 290ms) << "the retry did not wait for its backoff";
}

TEST_P(JobPoolTest, RetryingJobShowsTheErrorAndWhenItIsDue)
{
    auto settings = fastSettings();
    settings.backoffInitial = settings.backoffMax = 60s; // stays retrying for the whole test
    auto& pool = makePool(settings);
    addKind(pool, "media.fail", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf err) {
        setError(err, "codec missing");
        return int{VTP_ERROR};
    });
    pool.start();
    const int64_t before = epochMillisNow();
    const std::string id = pool.submit("media.fail", "{}", "");
    ASSERT_TRUE(reaches(id, JobState::Retrying));
    const JobRecord j = job(id);
    EXPECT_EQ(j.error.value_or(""), "codec missing");
    EXPECT_EQ(j.attempts, 1);
    EXPECT_GE(j.nextAttemptAt, before + 60000);
}

TEST_P(JobPoolTest, BackoffDoublesAndIsCapped)
{
    auto settings = fastSettings();
    settings.backoffInitial = 100ms;
    settings.backoffMax = 250ms;
    settings.defaultMaxAttempts = 4;
    auto& pool = makePool(settings);
    std::mutex m;
    std::vector<std::chrono::steady_clock::time_point> starts;
    addKind(pool, "media.fail", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf err) {
        std::lock_guard lock(m);
        starts.push_back(std::chrono::steady_clock::now());
        setError(err, "still broken");
        return int{VTP_ERROR};
    });
    pool.start();
    const std::string id = pool.submit("media.fail", "{}", "");
    ASSERT_TRUE(reaches(id, JobState::Failed));
    std::lock_guard lock(m);
    ASSERT_EQ(starts.size(), 4u);
    EXPECT_GE(starts[1] - starts[0], 95ms);
    EXPECT_GE(starts[2] - starts[1], 195ms); // doubled
    EXPECT_GE(starts[3] - starts[2], 245ms); // capped at 250 ms, not 400
    EXPECT_LT(starts[3] - starts[2], 5000ms);
}

TEST_P(JobPoolTest, JobFailsWithRunnerErrorWhenAttemptsAreUsedUp)
{
    auto& pool = makePool(fastSettings());
    std::atomic<int> runs{0};
    addKind(
        pool, "media.broken",
        [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf err) {
            ++runs;
            setError(err, "unsupported format");
            return int{VTP_ERROR};
        },
        2);
    pool.start();
    const std::string id = pool.submit("media.broken", "{}", "");
    ASSERT_TRUE(reaches(id, JobState::Failed));
    const JobRecord j = job(id);
    EXPECT_EQ(j.attempts, 2);
    EXPECT_EQ(j.maxAttempts, 2);
    EXPECT_EQ(j.error.value_or(""), "unsupported format");
    EXPECT_EQ(runs.load(), 2);
}

TEST_P(JobPoolTest, CancelledQueuedJobIsCancelledAtOnceAndNeverRuns)
{
    auto& pool = makePool(fastSettings());
    std::atomic<int> runs{0};
    addKind(pool, "media.never", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        ++runs;
        return int{VTP_OK};
    });
    const std::string id = pool.submit("media.never", "{}", ""); // not started: stays queued
    const auto cancelled = pool.cancel(id);
    ASSERT_TRUE(cancelled.has_value());
    EXPECT_EQ(cancelled->state, JobState::Cancelled);
    EXPECT_TRUE(cancelled->cancelRequested);
    pool.start();
    const std::string other = pool.submit("media.never", "{}", "");
    ASSERT_TRUE(reaches(other, JobState::Succeeded));
    EXPECT_EQ(runs.load(), 1);
    EXPECT_EQ(job(id).state, JobState::Cancelled);
}

TEST_P(JobPoolTest, RunningJobSeesCancelAndKeepsItsBestResult)
{
    auto& pool = makePool(fastSettings());
    std::atomic<bool> started{false};
    std::atomic<bool> answered{false};
    addKind(pool, "courses.solve", [&](vtp_job* job, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        started = true;
        const std::string best = R"({"score":7})";
        job->pool->reportResult(*job->live, best.data(), best.size());
        // Solve until told to stop, then return the best so far; not before the test has read
        // cancel()'s answer, which would otherwise race with this return (seen under ASan).
        gate_.waitUnless([&] { return job->live->cancel.load() && answered.load(); });
        return job->live->cancel.load() ? int{VTP_OK} : int{VTP_ERROR};
    });
    pool.start();
    const std::string id = pool.submit("courses.solve", "{}", "");
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    const auto afterCancel = pool.cancel(id);
    ASSERT_TRUE(afterCancel.has_value());
    EXPECT_EQ(afterCancel->state, JobState::Running); // until the runner returns
    EXPECT_TRUE(afterCancel->cancelRequested);
    answered = true;
    ASSERT_TRUE(reaches(id, JobState::Cancelled));
    EXPECT_EQ(job(id).result.value_or(""), R"({"score":7})");
}

TEST_P(JobPoolTest, CancelThroughAnotherNodeReachesTheRunner)
{
    auto& runnerNode = makePool(fastSettings("node-a"));
    std::atomic<bool> started{false};
    addKind(runnerNode, "courses.solve", [&](vtp_job* job, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        started = true;
        gate_.waitUnless([&] { return job->live->cancel.load(); });
        return int{VTP_OK};
    });
    runnerNode.start();
    auto& otherNode = makePool(fastSettings("node-b"), true);
    otherNode.start(); // declares no kinds: it only serves the API
    const std::string id = runnerNode.submit("courses.solve", "{}", "");
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    otherNode.cancel(id);
    ASSERT_TRUE(reaches(id, JobState::Cancelled));
}

TEST_P(JobPoolTest, ProgressWritesAreThrottledButGetShowsTheLatest)
{
    auto settings = fastSettings();
    settings.progressWriteInterval = 60s; // only message changes reach the database
    auto& pool = makePool(settings);
    std::atomic<int> step{0};
    Gate stepDone;
    addKind(pool, "media.steps", [&](vtp_job* job, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        job->pool->reportProgress(*job->live, 0.1, "encoding");
        for (int i = 2; i <= 5; ++i) job->pool->reportProgress(*job->live, i / 10.0, "encoding");
        step = 1;
        gate_.wait();
        return int{VTP_OK};
    });
    pool.start();
    const std::string id = pool.submit("media.steps", "{}", "");
    ASSERT_TRUE(eventually([&] { return step.load() == 1; }));
    const JobRecord stored = job(id);
    EXPECT_DOUBLE_EQ(stored.progress, 0.1) << "every fraction was written";
    EXPECT_EQ(stored.message, "encoding");
    const auto live = pool.get(id);
    ASSERT_TRUE(live.has_value());
    EXPECT_DOUBLE_EQ(live->progress, 0.5);
    gate_.open();
    ASSERT_TRUE(reaches(id, JobState::Succeeded));
    EXPECT_DOUBLE_EQ(job(id).progress, 1.0);
}

TEST_P(JobPoolTest, ProgressFractionIsClampedAndNaNIgnored)
{
    auto& pool = makePool(fastSettings());
    std::atomic<bool> reported{false};
    addKind(pool, "media.odd", [&](vtp_job* job, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        job->pool->reportProgress(*job->live, 7.0, "too much");
        job->pool->reportProgress(*job->live, std::nan(""), "not a number");
        reported = true;
        gate_.wait();
        return int{VTP_OK};
    });
    pool.start();
    const std::string id = pool.submit("media.odd", "{}", "");
    ASSERT_TRUE(eventually([&] { return reported.load(); }));
    const auto live = pool.get(id);
    EXPECT_DOUBLE_EQ(live->progress, 1.0);
    EXPECT_EQ(live->message, "too much");
}

TEST_P(JobPoolTest, InterruptedJobOfThisNodeComesBackRetryingOnStart)
{
    const int64_t now = epochMillisNow();
    JobRecord j;
    j.id = "11111111-1111-4111-8111-111111111111";
    j.kind = "media.transcode";
    j.state = JobState::Queued;
    j.params = "{}";
    j.maxAttempts = 3;
    j.createdAt = j.updatedAt = j.nextAttemptAt = now;
    store_->insert(j);
    ASSERT_TRUE(store_->claim(j.id, "node-a", now)); // running on node-a, which then "crashed"

    auto& pool = makePool(fastSettings("node-a"));
    pool.start(); // no kind declared: the job is recovered but not run
    const JobRecord after = job(j.id);
    EXPECT_EQ(after.state, JobState::Retrying);
    EXPECT_EQ(after.error.value_or(""), "interrupted by restart");
    EXPECT_EQ(after.attempts, 1);
}

TEST_P(JobPoolTest, InterruptedJobWithoutAttemptsLeftFailsOnStart)
{
    const int64_t now = epochMillisNow();
    JobRecord j;
    j.id = "22222222-2222-4222-8222-222222222222";
    j.kind = "media.transcode";
    j.state = JobState::Queued;
    j.params = "{}";
    j.maxAttempts = 1;
    j.createdAt = j.updatedAt = j.nextAttemptAt = now;
    store_->insert(j);
    ASSERT_TRUE(store_->claim(j.id, "node-a", now));
    makePool(fastSettings("node-a")).start();
    const JobRecord after = job(j.id);
    EXPECT_EQ(after.state, JobState::Failed);
    EXPECT_EQ(after.error.value_or(""), "interrupted by restart");
}

TEST_P(JobPoolTest, JobAbandonedByASilentNodeIsRunElsewhere)
{
    const int64_t now = epochMillisNow();
    JobRecord j;
    j.id = "33333333-3333-4333-8333-333333333333";
    j.kind = "media.transcode";
    j.state = JobState::Queued;
    j.params = "{}";
    j.maxAttempts = 3;
    j.createdAt = j.updatedAt = j.nextAttemptAt = now - 10000;
    store_->insert(j);
    ASSERT_TRUE(store_->claim(j.id, "node-gone", now - 10000)); // its heartbeat is 10 s old

    auto settings = fastSettings("node-a");
    settings.staleAfter = 2s;
    auto& pool = makePool(settings);
    addKind(pool, "media.transcode", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) { return int{VTP_OK}; });
    pool.start();
    ASSERT_TRUE(reaches(j.id, JobState::Succeeded));
    const JobRecord after = job(j.id);
    EXPECT_EQ(after.node, "node-a");
    EXPECT_EQ(after.attempts, 2);
}

TEST_P(JobPoolTest, JobOfAKindNoPluginRunsStaysQueued)
{
    auto& pool = makePool(fastSettings());
    addKind(pool, "media.transcode", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) { return int{VTP_OK}; });
    const int64_t now = epochMillisNow();
    JobRecord orphan;
    orphan.id = "44444444-4444-4444-8444-444444444444";
    orphan.kind = "gone.kind";
    orphan.state = JobState::Queued;
    orphan.params = "{}";
    orphan.maxAttempts = 3;
    orphan.createdAt = orphan.updatedAt = orphan.nextAttemptAt = now;
    store_->insert(orphan);
    pool.start();
    const std::string id = pool.submit("media.transcode", "{}", "");
    ASSERT_TRUE(reaches(id, JobState::Succeeded));
    EXPECT_EQ(job(orphan.id).state, JobState::Queued);
}

TEST_P(JobPoolTest, TwoNodesRunEachJobExactlyOnce)
{
    std::mutex m;
    std::map<std::string, int> runs;
    std::map<std::string, std::string> ranOn;
    auto runner = [&](const std::string& node) {
        return [&, node](vtp_job* job, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
            std::lock_guard lock(m);
            ++runs[job->live->id];
            ranOn[job->live->id] = node;
            return int{VTP_OK};
        };
    };
    auto a = fastSettings("node-a");
    auto b = fastSettings("node-b");
    a.workers = b.workers = 3;
    auto& poolA = makePool(a);
    auto& poolB = makePool(b, true);
    addKind(poolA, "media.count", runner("node-a"));
    addKind(poolB, "media.count", runner("node-b"));
    poolA.start();
    poolB.start();
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) ids.push_back((i % 2 ? poolA : poolB).submit("media.count", "{}", ""));
    for (const auto& id : ids) ASSERT_TRUE(reaches(id, JobState::Succeeded)) << id;
    std::lock_guard lock(m);
    for (const auto& id : ids) {
        EXPECT_EQ(runs[id], 1) << id;
        EXPECT_EQ(job(id).node, ranOn[id]) << id;
        EXPECT_EQ(job(id).attempts, 1) << id;
    }
    EXPECT_EQ(runs.size(), ids.size());
}

TEST_P(JobPoolTest, DrainWaitsForTheRunningJob)
{
    auto& pool = makePool(fastSettings());
    std::atomic<bool> started{false};
    addKind(pool, "media.hold", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        started = true;
        gate_.wait();
        return int{VTP_OK};
    });
    pool.start();
    const std::string id = pool.submit("media.hold", "{}", "");
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    pool.stopClaiming();
    const std::string later = pool.submit("media.hold", "{}", "");
    EXPECT_FALSE(pool.drain(std::chrono::steady_clock::now() + 100ms)) << "drained with a job running";
    gate_.open();
    EXPECT_TRUE(pool.drain(std::chrono::steady_clock::now() + 15s));
    EXPECT_EQ(job(id).state, JobState::Succeeded);
    EXPECT_EQ(job(later).state, JobState::Queued) << "a job started after claiming stopped";
}

TEST_P(JobPoolTest, SubmitRefusesUnknownKindAndNonObjectParams)
{
    auto& pool = makePool(fastSettings());
    addKind(pool, "media.transcode", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) { return int{VTP_OK}; });
    try {
        pool.submit("media.unknown", "{}", "");
        FAIL() << "unknown kind accepted";
    } catch (const JobError& e) {
        EXPECT_EQ(e.code(), JobError::Code::NotFound);
    }
    for (const char* bad : {"[1,2]", "{not json", "42"}) {
        try {
            pool.submit("media.transcode", bad, "");
            FAIL() << "params accepted: " << bad;
        } catch (const JobError& e) {
            EXPECT_EQ(e.code(), JobError::Code::Invalid) << bad;
        }
    }
    EXPECT_EQ(pool.countsByState().at("queued"), 0);
}

// A live class's processing lasts as long as the class: more of them than workers all run at
// once, each on a thread of its own, and the short jobs still get the workers meanwhile.
TEST_P(JobPoolTest, LongRunningJobsRunBesideTheWorkersAndNeverStarveShortOnes)
{
    auto settings = fastSettings();
    settings.workers = 1;
    settings.longRunningMax = 3;
    auto& pool = makePool(settings);
    std::atomic<int> live{0}, maxLive{0};
    addKind(
        pool, "media.live",
        [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
            const int now = ++live;
            int seen = maxLive.load();
            while (now > seen && !maxLive.compare_exchange_weak(seen, now)) {}
            gate_.wait();
            --live;
            return int{VTP_OK};
        },
        0, true);
    addKind(pool, "media.thumb", [&](vtp_job*, const Poco::JSON::Object::Ptr&, vtp_errbuf) { return int{VTP_OK}; });
    pool.start();
    std::vector<std::string> longIds;
    for (int i = 0; i < 4; ++i) longIds.push_back(pool.submit("media.live", "{}", ""));
    ASSERT_TRUE(eventually([&] { return live.load() == 3; }));
    // Three at once (longRunningMax), the fourth waits; the one worker is free for short jobs.
    for (int i = 0; i < 3; ++i) {
        const std::string shortId = pool.submit("media.thumb", "{}", "");
        ASSERT_TRUE(reaches(shortId, JobState::Succeeded)) << "a short job waited behind the long-running ones";
    }
    EXPECT_EQ(pool.countsByState().at("queued"), 1);
    EXPECT_EQ(pool.runningHere(), 3);
    gate_.open();
    for (const auto& id : longIds) ASSERT_TRUE(reaches(id, JobState::Succeeded)) << id;
    EXPECT_EQ(maxLive.load(), 3);
}

// Stopping does not wait for a class to end: a long-running job is interrupted (its runner sees
// both flags), queued again without counting the attempt, and runs to the end after a restart.
TEST_P(JobPoolTest, DrainInterruptsALongRunningJobAndQueuesItAgainUncounted)
{
    auto settings = fastSettings("node-a");
    std::atomic<bool> started{false}, sawInterrupt{false};
    std::atomic<int> runs{0};
    RunFn run = [&](vtp_job* job, const Poco::JSON::Object::Ptr&, vtp_errbuf) {
        ++runs;
        started = true;
        // The class goes on until the gate opens or the kernel takes the job back.
        gate_.waitUnless([&] { return job->live->interrupted.load(); });
        if (job->live->interrupted.load()) {
            sawInterrupt = job->live->interrupted.load() && !job->live->cancel.load();
            return int{VTP_ERROR}; // ignored: an interrupted attempt is not an attempt
        }
        return int{VTP_OK};
    };
    auto& first = makePool(settings);
    addKind(first, "media.live", run, 1, true);
    first.start();
    const std::string id = first.submit("media.live", "{}", "");
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    ASSERT_TRUE(first.drain(std::chrono::steady_clock::now() + 10s)) << "drain waited for the class to end";
    EXPECT_TRUE(sawInterrupt.load());
    JobRecord j = job(id);
    EXPECT_EQ(j.state, JobState::Queued);
    EXPECT_EQ(j.attempts, 0) << "one attempt allowed, so a counted interruption would fail the job";

    auto& second = makePool(settings, true);
    addKind(second, "media.live", run, 1, true);
    second.start();
    ASSERT_TRUE(eventually([&] { return runs.load() == 2; }));
    gate_.open();
    ASSERT_TRUE(reaches(id, JobState::Succeeded));
    EXPECT_EQ(job(id).attempts, 1);
}

TEST_P(JobPoolTest, KindMustCarryThePluginPrefixAndBeUnique)
{
    auto& pool = makePool(fastSettings());
    JobKindSpec spec;
    spec.plugin = "media";
    spec.run = [](void*, vtp_job*, const char*, size_t, vtp_errbuf) { return int{VTP_OK}; };
    spec.kind = "other.transcode";
    EXPECT_THROW(pool.addKind(spec), JobError);
    spec.kind = "media.";
    EXPECT_THROW(pool.addKind(spec), JobError);
    spec.kind = "media.transcode";
    pool.addKind(spec);
    try {
        pool.addKind(spec);
        FAIL() << "duplicate kind accepted";
    } catch (const JobError& e) {
        EXPECT_EQ(e.code(), JobError::Code::Conflict);
    }
    pool.removeKindsOf("media");
    EXPECT_TRUE(pool.kinds().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, JobPoolTest, ::testing::Values(Dialect::SQLite, Dialect::PostgreSQL), dialectName);

} // namespace
} // namespace vtp::kernel::test
