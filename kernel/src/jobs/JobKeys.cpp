#include "jobs/JobKeys.hpp"

#include "config/KeySpecs.hpp"

namespace vtp::kernel {

void addJobKeys(ConfigSchema& schema)
{
    using T = ValueType;
    schema.add(ranged(keySpec("jobs.workers", T::Integer, int64_t{2}, "Jobs run at once on this node (one thread each)"), 1, 64));
    schema.add(ranged(keySpec("jobs.long_running_max", T::Integer, int64_t{32},
                              "Long-running jobs (a live class being processed as it is uploaded) run at once on this node, "
                              "each on a thread of its own, apart from jobs.workers"),
                      1, 1024));
    schema.add(ranged(
        keySpec("jobs.max_attempts", T::Integer, int64_t{3}, "Attempts of a job before it fails, unless its kind sets its own"), 1, 100));
    schema.add(ranged(
        keySpec("jobs.backoff_initial_ms", T::Integer, int64_t{5000}, "Wait before retrying a failed attempt; doubles after each failure"),
        0, 86400000));
    schema.add(ranged(keySpec("jobs.backoff_max_ms", T::Integer, int64_t{300000}, "Longest wait between attempts"), 0, 86400000));
    schema.add(ranged(keySpec("jobs.poll_interval_ms", T::Integer, int64_t{1000},
                              "How often to look for jobs submitted on other nodes and for due retries"),
                      10, 600000));
    schema.add(ranged(keySpec("jobs.stale_after_seconds", T::Integer, int64_t{60},
                              "A running job whose node sent no heartbeat this long is retried elsewhere"),
                      2, 86400));
}

} // namespace vtp::kernel
