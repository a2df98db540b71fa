#pragma once

#include "jobs/JobStore.hpp"
#include "jobs/JobTypes.hpp"

#include "vtp/abi.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vtp::kernel {

class Logger;

// A kind of job and the plugin code that runs it.
struct JobKindSpec {
    std::string kind;   // "<plugin>.<what>"
    std::string plugin; // the plugin that declared it
    std::string summary;
    int64_t maxAttempts = 0; // 0: the pool's default
    vtp_job_runner run = nullptr;
    void* userData = nullptr;
    bool longRunning = false; // VTP_JOB_LONG_RUNNING: a thread of its own, apart from the workers
};

// What a running attempt reports, kept in memory for GET and written to the database throttled.
struct LiveJob {
    std::string id;
    int64_t attempt = 0;
    std::atomic<bool> cancel{false};
    std::atomic<bool> interrupted{false}; // a long-running job the stopping kernel takes back
    bool longRunning = false;
    std::mutex mutex; // guards the fields below
    double fraction = 0;
    std::string message;
    bool dirty = false;         // progress not yet written
    bool messageWritten = true; // the current message is in the database
    std::chrono::steady_clock::time_point lastWrite{};
    std::optional<std::string> result;
};

// The bounded worker pool. One dispatcher thread claims due jobs in the database (one conditional
// UPDATE per job, so a job runs on exactly one node) whenever a worker is idle, heartbeats the
// jobs running here and picks up cross-node cancels; `workers` threads run the plugins' runners.
// Long-running kinds (a live class's processing lasts as long as the class) never take one of
// those: each such job gets a thread of its own, up to `longRunningMax` at once; those threads
// are made as needed and kept for the next one. At drain they are interrupted and their jobs
// queued again uncounted, since waiting for a class to end is no way to stop.
// A local submit wakes the dispatcher at once; the poll interval only bounds how late other
// nodes' work and due retries are noticed. All public methods are thread-safe.
class JobPool {
public:
    JobPool(Logger& log, JobSettings settings);
    ~JobPool(); // stops and joins (waits for running runners to return)
    JobPool(const JobPool&) = delete;
    JobPool& operator=(const JobPool&) = delete;

    // The database is opened after the pool exists (the kernel's routes point at it from the start).
    void setDatabase(Database& db);
    bool hasDatabase() const;

    // Throws JobError: Invalid (no runner, kind not "<plugin>.<name>"), Conflict (kind taken).
    void addKind(JobKindSpec spec);
    // Drops the kinds a plugin declared (the plugin was refused). Jobs of those kinds stay queued.
    void removeKindsOf(const std::string& plugin);
    std::vector<JobKindSpec> kinds() const;

    // Queues a job of a declared kind; params must be a JSON object. Returns its id (a UUID).
    // Throws JobError (NotFound: unknown kind, Invalid: params, Unavailable: no database).
    std::string submit(const std::string& kind, std::string_view paramsJson, const std::string& owner);

    // Recovers this node's interrupted jobs (and stale ones of any node), reports pending jobs of
    // kinds nothing here runs, then starts the dispatcher and the workers.
    void start();
    // Claims no more jobs; running ones carry on.
    void stopClaiming();
    // Interrupts the long-running jobs, then waits until no job runs here or the deadline passes. True (and the threads are joined) if
    // none was left; false leaves the runners running (their jobs are recovered on next start).
    bool drain(std::chrono::steady_clock::time_point deadline);

    // The job as stored, with this node's fresher in-memory progress if it runs here.
    std::optional<JobRecord> get(const std::string& id);
    JobPage list(const JobFilter& filter);
    // Requests cancel (see JobStore::requestCancel); a job running here sees it at once.
    std::optional<JobRecord> cancel(const std::string& id);

    // For metrics: jobs per state in the database (all nodes), and jobs running on this node.
    std::map<std::string, int64_t> countsByState();
    int64_t runningHere() const;

    const JobSettings& settings() const { return settings_; }

    // Called through the host table by a runner (vtp_job belongs to the pool).
    void reportProgress(LiveJob& live, double fraction, const char* message);
    void reportResult(LiveJob& live, const char* json, size_t len);

private:
    struct Claimed {
        JobRecord job;
        JobKindSpec kind;
    };

    JobStore& store();
    void dispatchLoop();
    void workerLoop(bool longRunning);
    void maintain(std::chrono::steady_clock::time_point now);
    // Claims up to `slots` due jobs of the short kinds and `longSlots` of the long-running ones;
    // true if either class filled every slot it had (more may be due).
    bool claimDue(size_t slots, size_t longSlots);
    size_t freeSlots() const;     // for short jobs; mutex_ held
    size_t freeLongSlots() const; // for long-running jobs; mutex_ held
    void runJob(Claimed& claimed);
    void writeProgress(LiveJob& live, bool force);
    std::chrono::milliseconds backoff(int64_t attempts) const;

    Logger& log_;
    JobSettings settings_;
    std::unique_ptr<JobStore> store_;

    mutable std::mutex mutex_;
    std::condition_variable dispatchCv_; // wakes the dispatcher: submit, a worker freed, stop
    std::condition_variable workerCv_;   // wakes workers: a job was claimed, stop
    std::condition_variable idleCv_;     // wakes drain(): a job finished
    std::map<std::string, JobKindSpec> kinds_;
    std::condition_variable longCv_;                       // wakes long-running threads: a job was claimed, stop
    std::deque<Claimed> ready_;                            // claimed, waiting for a worker
    std::deque<Claimed> longReady_;                        // claimed long-running jobs waiting for their thread
    std::map<std::string, std::shared_ptr<LiveJob>> live_; // running here, by id
    size_t busy_ = 0;                                      // claimed short jobs not yet finished (ready_ + running)
    size_t busyLong_ = 0;                                  // the same for long-running jobs
    size_t longIdle_ = 0;                                  // long-running threads waiting for a job
    bool wake_ = false;
    bool claiming_ = false;
    bool stopping_ = false;
    std::optional<std::chrono::steady_clock::time_point> nextRetry_; // earliest local retry due
    std::thread dispatcher_;
    std::vector<std::thread> workers_;
    std::vector<std::thread> longThreads_;
};

} // namespace vtp::kernel

// The kernel's side of the opaque handle a runner reports through.
struct vtp_job {
    vtp::kernel::JobPool* pool = nullptr;
    vtp::kernel::LiveJob* live = nullptr;
};
