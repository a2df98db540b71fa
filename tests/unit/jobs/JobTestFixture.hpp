#pragma once

#include "PollUntil.hpp"

#include "DbTestFixture.hpp"

#include "db/KernelMigrations.hpp"
#include "db/Migrator.hpp"
#include "jobs/JobPool.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <condition_variable>
#include <functional>
#include <list>
#include <thread>

namespace vtp::kernel::test {

// Polls a condition until it holds or the timeout passes (no fixed sleeps as synchronisation).
template <typename P>
bool eventually(P pred, std::chrono::milliseconds timeout = std::chrono::seconds(15))
{
    return vtp::test::pollUntil(std::move(pred), timeout, std::chrono::milliseconds(5));
}

// A latch runners wait on, opened by the test.
class Gate {
public:
    void open()
    {
        std::lock_guard lock(m_);
        open_ = true;
        cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(15))
    {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, timeout, [&] { return open_; });
    }
    // Waits until open or `stop` returns true (checked every few milliseconds).
    bool waitUnless(const std::function<bool()>& stop, std::chrono::milliseconds timeout = std::chrono::seconds(15))
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::unique_lock lock(m_);
        while (!open_ && !stop() && std::chrono::steady_clock::now() < deadline) cv_.wait_for(lock, std::chrono::milliseconds(5));
        return open_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

using RunFn = std::function<int(vtp_job* job, const Poco::JSON::Object::Ptr& params, vtp_errbuf err)>;

inline void setError(vtp_errbuf err, const std::string& text)
{
    std::snprintf(err.data, err.cap, "%s", text.c_str());
}

// A database with the kernel's tables, and pools whose runners are test lambdas.
class JobTest : public DbTest {
protected:
    void SetUp() override
    {
        DbTest::SetUp();
        Migrator(*db_).apply(kKernelMigrationOwner, kernelMigrations(dialect()));
        store_ = std::make_unique<JobStore>(*db_);
    }

    void TearDown() override
    {
        gate_.open();
        pools_.clear(); // joins the workers before the runners' state goes away
        extraDbs_.clear();
        store_.reset();
        DbTest::TearDown();
    }

    static JobSettings fastSettings(const std::string& node = "node-a")
    {
        JobSettings s;
        s.nodeId = node;
        s.workers = 2;
        s.defaultMaxAttempts = 3;
        s.backoffInitial = std::chrono::milliseconds(50);
        s.backoffMax = std::chrono::milliseconds(200);
        s.pollInterval = std::chrono::milliseconds(20);
        s.staleAfter = std::chrono::seconds(60);
        s.progressWriteInterval = std::chrono::milliseconds(250);
        return s;
    }

    // A pool on its own Database (as another node would have) when `ownDatabase`.
    JobPool& makePool(JobSettings settings, bool ownDatabase = false)
    {
        Database* db = db_.get();
        if (ownDatabase) {
            extraDbs_.push_back(openDatabase(4));
            db = extraDbs_.back().get();
        }
        auto& pool = *pools_.emplace_back(std::make_unique<JobPool>(log_, std::move(settings)));
        pool.setDatabase(*db);
        return pool;
    }

    void addKind(JobPool& pool, const std::string& kind, RunFn fn, int64_t maxAttempts = 0, bool longRunning = false)
    {
        auto& holder = runners_.emplace_back(std::move(fn));
        JobKindSpec spec;
        spec.kind = kind;
        spec.plugin = kind.substr(0, kind.find('.'));
        spec.maxAttempts = maxAttempts;
        spec.longRunning = longRunning;
        spec.userData = &holder;
        spec.run = [](void* ud, vtp_job* job, const char* params, size_t len, vtp_errbuf err) -> int {
            auto obj = Poco::JSON::Parser().parse(std::string(params, len)).extract<Poco::JSON::Object::Ptr>();
            return (*static_cast<RunFn*>(ud))(job, obj, err);
        };
        pool.addKind(spec);
    }

    JobRecord job(const std::string& id) { return store_->get(id).value(); }

    bool reaches(const std::string& id, const std::string& state, std::chrono::milliseconds timeout = std::chrono::seconds(15))
    {
        return eventually([&] { return store_->get(id)->state == state; }, timeout);
    }

    std::list<RunFn> runners_; // before the pools: destroyed after them
    std::vector<std::unique_ptr<Database>> extraDbs_;
    std::unique_ptr<JobStore> store_;
    std::vector<std::unique_ptr<JobPool>> pools_;
    Gate gate_;
};

} // namespace vtp::kernel::test
