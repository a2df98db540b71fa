#pragma once

#include "db/Database.hpp"
#include "jobs/JobTypes.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vtp::kernel {

// The table kernel_jobs, with the conditional updates that keep a job on exactly one node.
// A running job's updates are fenced by (node, attempts): a node whose job was taken from it
// (stale heartbeat, restart) cannot overwrite the new attempt. Thread-safe like Database.
class JobStore {
public:
    explicit JobStore(Database& db) : db_(db) {}

    void insert(const JobRecord& job);
    std::optional<JobRecord> get(const std::string& id);
    // Newest first by (created_at, id).
    JobPage list(const JobFilter& filter);

    // Ids of queued or retrying jobs of `kinds` due at `now`, oldest due first.
    std::vector<std::string> candidates(const std::vector<std::string>& kinds, int64_t now, size_t limit);
    // Atomically moves a due queued/retrying job to running on `node` and counts the attempt.
    // Returns the claimed row, or nothing if another node (or a cancel) got there first.
    std::optional<JobRecord> claim(const std::string& id, const std::string& node, int64_t now);

    // Writes progress and the heartbeat of a running attempt; returns cancel_requested, or
    // nothing if the attempt is no longer this node's.
    std::optional<bool> writeProgress(const std::string& id, const std::string& node, int64_t attempt, double fraction,
                                      const std::string& message, int64_t now);
    // Heartbeats every job running on `node`.
    void heartbeat(const std::string& node, int64_t now);
    // Ids of jobs running on `node` whose cancel was requested (possibly through another node).
    std::vector<std::string> cancelRequested(const std::string& node);

    struct Outcome {
        std::string state; // succeeded, failed, retrying or cancelled
        std::optional<std::string> result;
        std::optional<std::string> error;
        double progress = 0;
        std::string message;
        int64_t nextAttemptAt = 0; // for retrying
    };
    // Records how an attempt ended; false if the attempt was no longer this node's.
    bool finish(const std::string& id, const std::string& node, int64_t attempt, const Outcome& outcome, int64_t now);

    // Gives a running attempt back uncounted (a long-running job interrupted by shutdown): queued
    // again, due now, for any node. False if the attempt was no longer this node's.
    bool release(const std::string& id, const std::string& node, int64_t attempt, const std::string& reason, int64_t now);

    // Marks cancel requested; a queued or retrying job becomes cancelled at once. Returns the job
    // after the change, or nothing if there is no such job.
    std::optional<JobRecord> requestCancel(const std::string& id, int64_t now);

    struct Recovered {
        std::string id, kind, fromNode, state;
    };
    // Running jobs that lost their worker: those of `node` (this node restarted) and, unless
    // onlyStale, those of any node whose heartbeat is older than `staleBefore`. Each becomes
    // retrying (due now) with `reason` as its error, failed if its attempts are used up, or
    // cancelled if a cancel was requested.
    std::vector<Recovered> recover(const std::string& node, int64_t staleBefore, int64_t now, bool includeOwnNode);

    // Jobs per state (every state present, 0 if none).
    std::map<std::string, int64_t> countsByState();
    // Pending jobs (queued or retrying) per kind.
    std::map<std::string, int64_t> pendingByKind();

private:
    Database& db_;
};

} // namespace vtp::kernel
