#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vtp::kernel {

// Job states as stored in kernel_jobs.state. "retrying" is failed-retryable: the job waits for
// next_attempt_at. succeeded, failed and cancelled are final.
namespace JobState {
inline constexpr const char* Queued = "queued";
inline constexpr const char* Running = "running";
inline constexpr const char* Retrying = "retrying";
inline constexpr const char* Succeeded = "succeeded";
inline constexpr const char* Failed = "failed";
inline constexpr const char* Cancelled = "cancelled";
} // namespace JobState

// Every state, in lifecycle order.
const std::vector<std::string>& jobStates();
bool isJobState(std::string_view state);
bool isFinalJobState(std::string_view state);

// One row of kernel_jobs. Times are epoch milliseconds (UTC); 0 where the column is NULL.
struct JobRecord {
    std::string id;
    std::string kind;
    std::string owner; // "" when the job belongs to no user
    std::string state;
    std::string params;                // JSON object text
    std::optional<std::string> result; // JSON text set by the runner
    double progress = 0;               // fraction in [0, 1]
    std::string message;
    int64_t attempts = 0; // attempts started so far
    int64_t maxAttempts = 1;
    std::optional<std::string> error;
    std::string node; // the node that claimed it last ("" if never claimed)
    int64_t claimedAt = 0;
    int64_t heartbeatAt = 0;
    int64_t nextAttemptAt = 0;
    int64_t createdAt = 0;
    int64_t updatedAt = 0;
    bool cancelRequested = false;
};

// Tunables of the worker pool (config [jobs]).
struct JobSettings {
    std::string nodeId = "local";
    int workers = 2;
    int longRunningMax = 32; // long-running jobs (a thread each) at once on this node
    int64_t defaultMaxAttempts = 3;
    std::chrono::milliseconds backoffInitial{5000}; // before the 2nd attempt; doubles after each failure
    std::chrono::milliseconds backoffMax{300000};
    std::chrono::milliseconds pollInterval{1000};         // looks for other nodes' work and due retries
    std::chrono::milliseconds staleAfter{60000};          // a running job without heartbeat this long is abandoned
    std::chrono::milliseconds progressWriteInterval{250}; // progress reaches the database at most this often
};

// Listing filter; empty strings match everything.
struct JobFilter {
    std::string state;
    std::string kind;
    std::string owner;
    bool ownerSet = false; // filter on owner (a user sees only their own)
    size_t limit = 50;
    // Keyset cursor: the (created_at, id) of the last job of the previous page.
    std::optional<std::pair<int64_t, std::string>> after;
};

struct JobPage {
    std::vector<JobRecord> jobs;
    bool more = false; // another page follows the last job
};

class JobError : public std::runtime_error {
public:
    enum class Code { Invalid, NotFound, Conflict, Unavailable };
    JobError(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
    Code code() const { return code_; }

private:
    Code code_;
};

int64_t epochMillisNow();
// "2024-05-01T12:00:00.123Z"
std::string isoMillis(int64_t epochMillis);

} // namespace vtp::kernel
