#pragma once

// One live ingest worker (vtp-stream-worker) as a child process with limits: its reports are read
// line by line from a pipe by the caller's event loop (LiveStreams polls every worker's pipes on
// one thread), and its standard error (FFmpeg's warnings) is kept as its last few lines for the
// log. vtpd never decodes media: the worker does, and a hostile publisher can crash only it.
// Not thread-safe: one thread (the loop) owns each process.

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vtp::streaming {

struct IngestLimits {
    uint64_t memoryBytes = 0; // RLIMIT_AS; 0: none
    int nice = 5;             // added to the worker's niceness: viewers' requests come first
};

class IngestProcess {
public:
    // Starts `argv` (argv[0] is the executable) with vtpd's environment plus `env` ("NAME=value":
    // secrets go there, not in argv, which every local user can read), standard input on
    // /dev/null, standard output and error on pipes, no other descriptor inherited, no core dumps,
    // killed if vtpd dies. Null and `why` set when it cannot be started.
    static std::unique_ptr<IngestProcess> start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                                const IngestLimits& limits, std::string& why);
    // Kills (SIGKILL) and reaps the worker if it still runs.
    ~IngestProcess();
    IngestProcess(const IngestProcess&) = delete;
    IngestProcess& operator=(const IngestProcess&) = delete;

    pid_t pid() const { return pid_; }
    int reportFd() const { return out_; } // -1 once closed
    int errorFd() const { return err_; }  // -1 once closed

    // Reads what the report pipe holds without blocking; appends each complete line to `lines`.
    // False once the pipe is closed (the worker ended) or a line exceeded kMaxLine (then killed).
    bool readReports(std::vector<std::string>& lines);
    // Reads what the error pipe holds without blocking, keeping the last kErrorLines lines.
    void readErrors();
    const std::deque<std::string>& lastErrors() const { return errors_; }

    void kill();
    // The exit status once the worker has ended (reaped without blocking): WIFEXITED/... of waitpid.
    std::optional<int> reap();

    static constexpr size_t kMaxLine = 1 << 20;
    static constexpr size_t kErrorLines = 20;

private:
    IngestProcess(pid_t pid, int out, int err) : pid_(pid), out_(out), err_(err) {}
    static bool drain(int& fd, std::string& buffer, std::vector<std::string>& lines, size_t maxLine);

    pid_t pid_ = -1;
    int out_ = -1, err_ = -1;
    std::string outBuffer_, errBuffer_;
    std::deque<std::string> errors_;
    std::optional<int> status_;
};

} // namespace vtp::streaming
