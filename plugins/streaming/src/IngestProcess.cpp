#include "IngestProcess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vtp::streaming {

namespace {

// In the child between fork and exec: async-signal-safe calls only (vtpd has many threads).
[[noreturn]] void execChild(char* const* argv, char* const* envp, int out, int err, const IngestLimits& limits)
{
    if (limits.memoryBytes) {
        const rlimit as{limits.memoryBytes, limits.memoryBytes};
        setrlimit(RLIMIT_AS, &as);
    }
    // Dies with vtpd (or with the loop thread that forked it, which lives as long as the plugin):
    // a worker left behind would keep the stream's port.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const rlimit core{0, 0};
    setrlimit(RLIMIT_CORE, &core);
    if (limits.nice > 0) setpriority(PRIO_PROCESS, 0, std::min(19, getpriority(PRIO_PROCESS, 0) + limits.nice));
    // vtpd's signal mask and ignored signals would pass through exec: reset them.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (const int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &dfl, nullptr);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    // Nothing else of vtpd's (sockets, database connections, files) reaches the worker.
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execve(argv[0], argv, envp);
    _exit(127);
}

} // namespace

std::unique_ptr<IngestProcess> IngestProcess::start(const std::vector<std::string>& args, const std::vector<std::string>& env,
                                                    const IngestLimits& limits, std::string& why)
{
    if (args.empty() || access(args[0].c_str(), X_OK) != 0) {
        why = "the ingest worker " + (args.empty() ? std::string("(none)") : args[0]) + " cannot be run: " + std::strerror(errno);
        return nullptr;
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    // Made before fork: the child may not allocate.
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) envp.push_back(*e);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC | O_NONBLOCK) != 0) {
        why = std::string("cannot make a pipe: ") + std::strerror(errno);
        return nullptr;
    }
    if (pipe2(err, O_CLOEXEC | O_NONBLOCK) != 0) {
        why = std::string("cannot make a pipe: ") + std::strerror(errno);
        close(out[0]);
        close(out[1]);
        return nullptr;
    }
    // The child's ends block: the worker writes its reports with ordinary stdio.
    fcntl(out[1], F_SETFL, 0);
    fcntl(err[1], F_SETFL, 0);
    const pid_t pid = fork();
    if (pid == 0) execChild(argv.data(), envp.data(), out[1], err[1], limits);
    close(out[1]);
    close(err[1]);
    if (pid < 0) {
        why = std::string("cannot start the ingest worker: ") + std::strerror(errno);
        close(out[0]);
        close(err[0]);
        return nullptr;
    }
    return std::unique_ptr<IngestProcess>(new IngestProcess(pid, out[0], err[0]));
}

IngestProcess::~IngestProcess()
{
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
    if (!status_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    }
}

bool IngestProcess::drain(int& fd, std::string& buffer, std::vector<std::string>& lines, size_t maxLine)
{
    if (fd < 0) return false;
    char chunk[65536];
    for (;;) {
        const ssize_t got = read(fd, chunk, sizeof chunk);
        if (got > 0) {
            buffer.append(chunk, static_cast<size_t>(got));
            size_t start = 0, nl;
            while ((nl = buffer.find('\n', start)) != std::string::npos) {
                lines.push_back(buffer.substr(start, nl - start));
                start = nl + 1;
            }
            buffer.erase(0, start);
            if (buffer.size() > maxLine) return false;
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        close(fd); // the end of the pipe, or an error on it
        fd = -1;
        return false;
    }
}

bool IngestProcess::readReports(std::vector<std::string>& lines)
{
    if (drain(out_, outBuffer_, lines, kMaxLine)) return true;
    if (out_ >= 0) { // a line too long: not a report
        kill();
        close(out_);
        out_ = -1;
    }
    return false;
}

void IngestProcess::readErrors()
{
    std::vector<std::string> lines;
    const bool open = drain(err_, errBuffer_, lines, 4096);
    if (!open && err_ >= 0) {
        close(err_);
        err_ = -1;
    }
    for (auto& l : lines) {
        if (l.size() > 300) l.resize(300);
        errors_.push_back(std::move(l));
        if (errors_.size() > kErrorLines) errors_.pop_front();
    }
}

void IngestProcess::kill()
{
    if (!status_) ::kill(pid_, SIGKILL);
}

std::optional<int> IngestProcess::reap()
{
    if (status_) return status_;
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) status_ = status;
    return status_;
}

} // namespace vtp::streaming
