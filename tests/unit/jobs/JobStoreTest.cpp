// kernel_jobs through JobStore on SQLite and PostgreSQL: the claim that hands a job to exactly
// one node, fenced outcomes, cancel, keyset pagination and counts.
#include "JobTestFixture.hpp"

namespace vtp::kernel::test {
namespace {

class JobStoreTest : public JobTest {
protected:
    JobRecord queued(const std::string& id, int64_t createdAt, const std::string& owner = "", const std::string& kind = "media.x")
    {
        JobRecord j;
        j.id = id;
        j.kind = kind;
        j.owner = owner;
        j.state = JobState::Queued;
        j.params = "{}";
        j.maxAttempts = 3;
        j.createdAt = j.updatedAt = j.nextAttemptAt = createdAt;
        store_->insert(j);
        return j;
    }
};

TEST_P(JobStoreTest, OnlyOneOfTwoClaimsWins)
{
    queued("a", 1000);
    auto first = store_->claim("a", "node-1", 2000);
    auto second = store_->claim("a", "node-2", 2000);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(second.has_value());
    EXPECT_EQ(first->state, JobState::Running);
    EXPECT_EQ(first->attempts, 1);
    EXPECT_EQ(job("a").node, "node-1");
}

TEST_P(JobStoreTest, JobIsNotClaimedBeforeItIsDue)
{
    queued("a", 5000);
    EXPECT_TRUE(store_->candidates({"media.x"}, 4999, 10).empty());
    EXPECT_FALSE(store_->claim("a", "node-1", 4999).has_value());
    EXPECT_EQ(store_->candidates({"media.x"}, 5000, 10), std::vector<std::string>{"a"});
    EXPECT_TRUE(store_->candidates({"media.other"}, 5000, 10).empty());
}

TEST_P(JobStoreTest, OutcomeOfAnAttemptThatWasTakenOverIsDiscarded)
{
    queued("a", 1000);
    ASSERT_TRUE(store_->claim("a", "node-1", 1000));
    // node-1 went silent; node-2 recovers the job and runs attempt 2.
    ASSERT_EQ(store_->recover("node-2", 5000, 6000, false).size(), 1u);
    ASSERT_TRUE(store_->claim("a", "node-2", 6000));
    JobStore::Outcome late;
    late.state = JobState::Succeeded;
    late.result = "\"stale\"";
    EXPECT_FALSE(store_->finish("a", "node-1", 1, late, 7000));
    EXPECT_FALSE(store_->writeProgress("a", "node-1", 1, 0.5, "old", 7000).has_value());
    JobStore::Outcome current;
    current.state = JobState::Succeeded;
    current.result = "\"fresh\"";
    EXPECT_TRUE(store_->finish("a", "node-2", 2, current, 7000));
    EXPECT_EQ(job("a").result.value_or(""), "\"fresh\"");
}

TEST_P(JobStoreTest, CancelOfAFinishedJobChangesNothing)
{
    queued("a", 1000);
    ASSERT_TRUE(store_->claim("a", "n", 1000));
    JobStore::Outcome done;
    done.state = JobState::Succeeded;
    ASSERT_TRUE(store_->finish("a", "n", 1, done, 2000));
    const auto after = store_->requestCancel("a", 3000);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->state, JobState::Succeeded);
    EXPECT_FALSE(after->cancelRequested);
    EXPECT_FALSE(store_->requestCancel("missing", 3000).has_value());
}

TEST_P(JobStoreTest, CancelRequestOfARunningJobIsVisibleToItsNode)
{
    queued("a", 1000);
    ASSERT_TRUE(store_->claim("a", "n", 1000));
    EXPECT_EQ(store_->writeProgress("a", "n", 1, 0.2, "x", 1500), std::optional<bool>(false));
    const auto after = store_->requestCancel("a", 2000);
    EXPECT_EQ(after->state, JobState::Running);
    EXPECT_EQ(store_->cancelRequested("n"), std::vector<std::string>{"a"});
    EXPECT_EQ(store_->writeProgress("a", "n", 1, 0.3, "x", 2500), std::optional<bool>(true));
}

TEST_P(JobStoreTest, ListPagesNewestFirstWithAStableCursor)
{
    // Two jobs share a creation time: the id breaks the tie.
    queued("j1", 1000, "alice");
    queued("j2", 2000, "bob");
    queued("j3a", 3000, "alice");
    queued("j3b", 3000, "alice");
    queued("j4", 4000, "alice");
    JobFilter f;
    f.limit = 2;
    std::vector<std::string> seen;
    for (int page = 0; page < 5; ++page) {
        const JobPage p = store_->list(f);
        for (const auto& j : p.jobs) seen.push_back(j.id);
        if (!p.more) break;
        f.after = std::make_pair(p.jobs.back().createdAt, p.jobs.back().id);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"j4", "j3b", "j3a", "j2", "j1"}));

    JobFilter mine;
    mine.owner = "alice";
    mine.ownerSet = true;
    mine.limit = 10;
    const JobPage alice = store_->list(mine);
    ASSERT_EQ(alice.jobs.size(), 4u);
    EXPECT_FALSE(alice.more);
    for (const auto& j : alice.jobs) EXPECT_EQ(j.owner, "alice");

    JobFilter byState;
    byState.state = JobState::Running;
    EXPECT_TRUE(store_->list(byState).jobs.empty());
}

TEST_P(JobStoreTest, CountsCoverEveryState)
{
    queued("a", 1000);
    queued("b", 1000);
    ASSERT_TRUE(store_->claim("b", "n", 1000));
    const auto counts = store_->countsByState();
    EXPECT_EQ(counts.size(), jobStates().size());
    EXPECT_EQ(counts.at("queued"), 1);
    EXPECT_EQ(counts.at("running"), 1);
    EXPECT_EQ(counts.at("failed"), 0);
}

TEST_P(JobStoreTest, ResultAndProgressRoundTrip)
{
    queued("a", 1000, "", "media.x");
    ASSERT_TRUE(store_->claim("a", "n", 1000));
    JobStore::Outcome o;
    o.state = JobState::Succeeded;
    o.result = R"({"files":["a.mp4"],"size":12345678901})";
    o.progress = 0.75;
    o.message = "café ✓";
    ASSERT_TRUE(store_->finish("a", "n", 1, o, 2000));
    const JobRecord j = job("a");
    EXPECT_EQ(j.result.value_or(""), *o.result);
    EXPECT_DOUBLE_EQ(j.progress, 0.75);
    EXPECT_EQ(j.message, "café ✓");
    EXPECT_EQ(j.updatedAt, 2000);
    EXPECT_EQ(j.owner, "");
}

INSTANTIATE_TEST_SUITE_P(Backends, JobStoreTest, ::testing::Values(Dialect::SQLite, Dialect::PostgreSQL), dialectName);

} // namespace
} // namespace vtp::kernel::test
