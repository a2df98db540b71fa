#include "WorkerProcess.hpp"

#include <vtp/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace vtp::recording {

namespace {

constexpr size_t kMaxLine = 1 << 20; // a report longer than this is not one

double cpuOf(const rusage& ru)
{
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// In the child between fork and exec: async-signal-safe calls only (vtpd has many threads).
[[noreturn]] void execChild(const char* path, char* const* argv, int out, const WorkerLimits& limits)
{
    if (limits.memoryBytes) {
        const rlimit as{limits.memoryBytes, limits.memoryBytes};
        setrlimit(RLIMIT_AS, &as);
    }
    if (limits.cpuSeconds) {
        // SIGXCPU at the soft limit; SIGKILL a second later if it is ignored.
        const rlimit cpu{limits.cpuSeconds, limits.cpuSeconds + 1};
        setrlimit(RLIMIT_CPU, &cpu);
    }
    // Dies with vtpd: a worker left behind would write into media/ beside the one a restarted
    // vtpd starts (the worker also watches its parent, since this fires when the forking thread ends).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const rlimit core{0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (limits.nice > 0) setpriority(PRIO_PROCESS, 0, std::min(19, getpriority(PRIO_PROCESS, 0) + limits.nice));
    // vtpd's signal mask and ignored signals (SIGPIPE) would pass through exec: reset them.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (const int sig : {SIGPIPE, SIGXCPU, SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &dfl, nullptr);
    const int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 2) < 0 || dup2(out, 1) < 0) _exit(127);
    // Nothing else of vtpd's (sockets, database connections, files) reaches the worker.
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execv(path, argv);
    _exit(127);
}

std::string signalText(int sig)
{
    const char* name = strsignal(sig);
    return "signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
}

} // namespace

WorkerOutcome runWorker(const std::vector<std::string>& args, const WorkerLimits& limits, const std::function<bool()>& cancelled,
                        const std::function<void(double)>& progress)
{
    WorkerOutcome outcome;
    if (args.empty() || access(args[0].c_str(), X_OK) != 0) {
        outcome.kind = WorkerOutcome::Kind::Retry;
        outcome.reason = "the media worker " + (args.empty() ? std::string("(none)") : args[0]) +
                         " cannot be run: " + std::strerror(errno) + " (plugins.recording.processing.worker)";
        return outcome;
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        outcome.kind = WorkerOutcome::Kind::Retry;
        outcome.reason = std::string("cannot make a pipe for the media worker: ") + std::strerror(errno);
        return outcome;
    }
    const pid_t pid = fork();
    if (pid == 0) execChild(argv[0], argv.data(), fds[1], limits);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        outcome.kind = WorkerOutcome::Kind::Retry;
        outcome.reason = std::string("cannot start the media worker: ") + std::strerror(errno);
        return outcome;
    }

    const auto started = std::chrono::steady_clock::now();
    std::string buffer, killedFor;
    bool killedForCancel = false, gotResult = false;
    auto kill = [&](std::string why) {
        if (killedFor.empty()) killedFor = std::move(why);
        ::kill(pid, SIGKILL);
    };
    auto line = [&](const std::string& text) {
        Json j;
        try {
            j = Json::parse(text);
        } catch (const std::exception&) {
            return kill("the media worker wrote something that is not a report (" + text.substr(0, 80) + ")");
        }
        const std::string type = j.isObject() && j["type"].isString() ? j["type"].asString() : "";
        if (type == "progress" && j["fraction"].isNumber()) {
            progress(std::clamp(j["fraction"].asDouble(), 0.0, 1.0));
        } else if (type == "result" && j["ok"].isBool() && !gotResult) {
            gotResult = true;
            outcome.result = text;
        } else {
            kill("the media worker wrote a report this server does not understand (" + text.substr(0, 80) + ")");
        }
    };
    bool open = true;
    while (open) {
        pollfd p{fds[0], POLLIN, 0};
        const int n = poll(&p, 1, 200);
        if (n > 0) {
            char chunk[65536];
            const ssize_t got = read(fds[0], chunk, sizeof chunk);
            if (got > 0) {
                buffer.append(chunk, static_cast<size_t>(got));
                size_t nl;
                while (killedFor.empty() && (nl = buffer.find('\n')) != std::string::npos) {
                    line(buffer.substr(0, nl));
                    buffer.erase(0, nl + 1);
                }
                if (buffer.size() > kMaxLine) kill("the media worker wrote something that is not a report (a line too long)");
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                open = false;
            }
        }
        if (!killedFor.empty()) continue; // reads on until the killed worker's pipe closes
        if (cancelled()) {
            killedForCancel = true;
            kill("processing was cancelled");
        } else if (limits.wallSeconds > 0 && std::chrono::steady_clock::now() - started > std::chrono::seconds(limits.wallSeconds)) {
            kill("processing took longer than the " + std::to_string(limits.wallSeconds) +
                 " s allowed (plugins.recording.processing.timeout_seconds): the worker was stopped");
        }
    }
    close(fds[0]);
    int status = 0;
    rusage ru{};
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    outcome.cpuSeconds = cpuOf(ru);

    if (!killedFor.empty()) {
        outcome.kind = killedForCancel ? WorkerOutcome::Kind::Cancelled : WorkerOutcome::Kind::Failed;
        outcome.reason = killedFor;
        return outcome;
    }
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        outcome.kind = WorkerOutcome::Kind::Failed;
        if (sig == SIGXCPU || (sig == SIGKILL && limits.cpuSeconds && outcome.cpuSeconds + 0.5 >= static_cast<double>(limits.cpuSeconds)))
            outcome.reason = "processing used more than the " + std::to_string(limits.cpuSeconds) +
                             " s of CPU time allowed (plugins.recording.processing.cpu_seconds): the worker was stopped";
        else if (sig == SIGKILL)
            outcome.reason = "the media worker was killed (" + signalText(sig) + "), perhaps out of memory";
        else
            outcome.reason = "the media worker crashed on this file (" + signalText(sig) + ")";
        return outcome;
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!gotResult) {
        outcome.kind = code == 127 ? WorkerOutcome::Kind::Retry : WorkerOutcome::Kind::Failed;
        outcome.reason = code == 127 ? "the media worker " + args[0] + " could not be started"
                                     : "the media worker ended without a result (exit status " + std::to_string(code) + ")";
        return outcome;
    }
    const Json r = Json::parse(outcome.result);
    if (r["ok"].asBool()) {
        outcome.kind = WorkerOutcome::Kind::Ready;
        return outcome;
    }
    outcome.reason = r["reason"].isString() ? r["reason"].asString() : "the media worker failed without saying why";
    outcome.reported = true;
    outcome.kind = r.has("retry") && r["retry"].isBool() && r["retry"].asBool() ? WorkerOutcome::Kind::Retry : WorkerOutcome::Kind::Failed;
    return outcome;
}

} // namespace vtp::recording
