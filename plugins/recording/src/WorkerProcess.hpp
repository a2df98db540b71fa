#pragma once

// Runs the media worker (vtp-media-worker) as a process of its own with limits, and reads its
// reports: a hostile or corrupt file can crash or hang only that process. Independent of the
// SDK's host, so that it can be tested alone.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vtp::recording {

struct WorkerLimits {
    uint64_t memoryBytes = 0; // RLIMIT_AS; 0: none
    uint64_t cpuSeconds = 0;  // RLIMIT_CPU; 0: none
    int64_t wallSeconds = 0;  // killed after this long; 0: never
    int nice = 10;            // added to the worker's niceness
};

struct WorkerOutcome {
    enum class Kind {
        Ready,     // the worker's result: `result` holds its JSON line
        Failed,    // the media (or a limit it hit) is the cause: `reason` says why, for a person
        Retry,     // not the media's fault (no worker, a full disk): worth another attempt
        Cancelled, // `cancelled` said so; the worker was killed
    };
    Kind kind = Kind::Failed;
    std::string reason, result;
    bool reported = false; // Failed: the worker's own verdict on the media (not a kill, a crash or a limit)
    double cpuSeconds = 0;
};

// Starts `argv` (argv[0] is the executable's path) with its standard output on a pipe, standard
// input and error on /dev/null, no other descriptor inherited, no core dumps, and `limits`;
// reads its JSON lines until it ends, calling `progress` with each fraction it reports. Polls
// `cancelled` a few times a second; kills the worker when it says so, at the wall-clock limit, or
// when the worker writes anything but its reports.
WorkerOutcome runWorker(const std::vector<std::string>& argv, const WorkerLimits& limits, const std::function<bool()>& cancelled,
                        const std::function<void(double)>& progress);

} // namespace vtp::recording
