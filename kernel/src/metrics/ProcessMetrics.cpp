#include "metrics/ProcessMetrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace vtp::kernel {

namespace {

void gauge(std::vector<CollectedFamily>& out, std::string name, std::string help, double value, MetricType type = MetricType::Gauge)
{
    CollectedFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    f.samples.push_back({{}, value});
    out.push_back(std::move(f));
}

// Seconds since the epoch at which the system booted ("btime" in /proc/stat).
double bootTime()
{
    std::ifstream in("/proc/stat");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    return 0;
}

} // namespace

void collectProcessMetrics(std::vector<CollectedFamily>& out, const std::string& procDir)
{
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));

    // /proc/PID/stat: the command name is in parentheses and may hold spaces; fields after the
    // last ')' start at field 3 (state).
    std::ifstream statFile(procDir + "/stat");
    std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close != std::string::npos) {
        std::istringstream fields(stat.substr(close + 1));
        std::vector<std::string> f{"", ""}; // fields 1 and 2 come before; index = field number - 1
        for (std::string s; fields >> s;) f.push_back(s);
        auto num = [&](size_t field) { return field <= f.size() ? std::stod(f[field - 1]) : 0.0; };
        if (f.size() >= 24) {
            gauge(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (num(14) + num(15)) / ticks,
                  MetricType::Counter);
            gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                  bootTime() + num(22) / ticks);
            gauge(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", num(23));
            gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", num(24) * page);
        }
    }

    std::error_code ec;
    size_t fds = 0;
    for (std::filesystem::directory_iterator it(procDir + "/fd", ec), end; !ec && it != end; it.increment(ec)) ++fds;
    if (!ec) gauge(out, "process_open_fds", "Number of open file descriptors.", static_cast<double>(fds));

    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
        gauge(out, "process_max_fds", "Maximum number of open file descriptors.",
              limit.rlim_cur == RLIM_INFINITY ? -1.0 : static_cast<double>(limit.rlim_cur));
}

} // namespace vtp::kernel
