#pragma once

// The measured server's resident memory and CPU time, from /proc/PID/status and /proc/PID/stat.

#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace vtp::bench {

struct ProcessSample {
    bool ok = false;
    long rssKib = 0;       // VmRSS
    long hwmKib = 0;       // VmHWM: the peak
    double cpuSeconds = 0; // utime + stime, every thread
};

inline ProcessSample sampleProcess(int pid)
{
    ProcessSample s;
    if (pid <= 0) return s;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0)
            s.rssKib = std::stol(line.substr(6));
        else if (line.rfind("VmHWM:", 0) == 0)
            s.hwmKib = std::stol(line.substr(6));
    }
    std::ifstream statFile("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) return s;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    s.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    s.ok = s.rssKib > 0;
    return s;
}

} // namespace vtp::bench
