// vtp-llhls-viewers: N LL-HLS viewers on one rendition of a live origin on 127.0.0.1 (bench/streaming/origin.sh).
//
//   vtp-llhls-viewers --port P --playlist /PATH/360p.m3u8 --watch PART_DIR --mode blocking|polling
//                     [--poll-ms 250] [--viewers 1000] [--threads 2] [--warmup-s 6] [--duration-s 15]
//                     [--drain-s 2] [--cpu-pids PID,PID...] [--label NAME] [--limit-ms 500]
//
// Every part that appears in PART_DIR (the worker's rename into place, seen by inotify) during the
// measured window is due to every viewer; its delivery delay is the time from that appearance to
// the viewer's last byte of it. A part a viewer did not receive by the end of the drain counts as
// late (an infinite delay). Prints one line of figures and, last, the same as a JSON object.

#include "../../signalling/generator/ProcessProbe.hpp"
#include "PartClock.hpp"
#include "ViewerLoad.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace vtp::bench;

namespace {

[[noreturn]] void usage(const char* why)
{
    std::fprintf(stderr, "vtp-llhls-viewers: %s (see the comment at the top of bench/streaming/viewers/main.cpp)\n", why);
    std::exit(2);
}

void sleepUntil(int64_t ns)
{
    const int64_t now = monotonicNs();
    if (ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(ns - now));
}

double cpuSeconds(const std::vector<int>& pids)
{
    double total = 0;
    for (const int pid : pids) total += sampleProcess(pid).cpuSeconds;
    return total;
}

double percentile(const std::vector<double>& sorted, double q)
{
    if (sorted.empty()) return std::numeric_limits<double>::quiet_NaN();
    const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())) - 1));
    return sorted[at];
}

std::string ms(double v)
{
    if (std::isinf(v)) return "inf";
    if (std::isnan(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

} // namespace

int main(int argc, char** argv)
{
    LoadOptions o;
    std::string watch, label = "origin", mode = "blocking";
    double warmup = 6, duration = 15, drain = 2, limitMs = 500;
    std::vector<int> cpuPids;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) usage(("no value after " + a).c_str());
        const std::string v = argv[++i];
        if (a == "--port")
            o.port = static_cast<uint16_t>(std::stoi(v));
        else if (a == "--playlist")
            o.playlistPath = v;
        else if (a == "--watch")
            watch = v;
        else if (a == "--mode")
            mode = v;
        else if (a == "--poll-ms")
            o.pollMs = std::stoi(v);
        else if (a == "--viewers")
            o.viewers = std::stoi(v);
        else if (a == "--threads")
            o.threads = std::stoi(v);
        else if (a == "--warmup-s")
            warmup = std::stod(v);
        else if (a == "--duration-s")
            duration = std::stod(v);
        else if (a == "--drain-s")
            drain = std::stod(v);
        else if (a == "--limit-ms")
            limitMs = std::stod(v);
        else if (a == "--label")
            label = v;
        else if (a == "--cpu-pids") {
            std::stringstream in(v);
            for (std::string pid; std::getline(in, pid, ',');)
                if (!pid.empty()) cpuPids.push_back(std::stoi(pid));
        } else
            usage(("unknown option " + a).c_str());
    }
    if (!o.port || o.playlistPath.empty() || o.playlistPath[0] != '/' || watch.empty()) usage("--port, --playlist and --watch are needed");
    if (mode != "blocking" && mode != "polling") usage("--mode is blocking or polling");
    if (o.viewers < 1 || o.viewers > 100000 || o.threads < 1 || o.threads > 64 || o.pollMs < 10 || warmup < 1 || duration < 1 ||
        drain < 0.5)
        usage("a value out of range");
    o.blocking = mode == "blocking";

    PartClock clock(watch);
    const int64_t s = 1'000'000'000;
    o.startNs = monotonicNs();
    o.connectSpreadNs = static_cast<int64_t>(warmup * s / 2); // every viewer connected half-way through the warm-up
    const int64_t from = o.startNs + static_cast<int64_t>(warmup * s);
    const int64_t to = from + static_cast<int64_t>(duration * s);
    o.stopNs = to + static_cast<int64_t>(drain * s);

    LoadResult result;
    std::thread load([&] { result = runViewers(o); });
    sleepUntil(from);
    const double serverCpu0 = cpuSeconds(cpuPids), selfCpu0 = sampleProcess(static_cast<int>(::getpid())).cpuSeconds;
    sleepUntil(to);
    const double serverCpu = (cpuSeconds(cpuPids) - serverCpu0) / duration * 100;
    const double selfCpu = (sampleProcess(static_cast<int>(::getpid())).cpuSeconds - selfCpu0) / duration * 100;
    load.join();

    // Every (viewer, part) pair due: the part's delay, or infinity when it never came.
    const auto published = clock.between(from, to);
    std::vector<std::unordered_map<uint64_t, int64_t>> got(static_cast<size_t>(o.viewers));
    const auto key = [](const PartId& p) { return p.first * 100000 + p.second; };
    for (const auto& d : result.deliveries)
        if (d.viewer < got.size()) got[d.viewer].emplace(key(d.part), d.doneNs);
    std::vector<double> delays;
    delays.reserve(published.size() * static_cast<size_t>(o.viewers));
    size_t missed = 0, late = 0;
    for (const auto& viewer : got)
        for (const auto& [part, at] : published) {
            const auto it = viewer.find(key(part));
            const double delay = it == viewer.end() ? std::numeric_limits<double>::infinity() : (it->second - at) / 1e6;
            if (it == viewer.end()) ++missed;
            if (delay >= limitMs) ++late;
            delays.push_back(delay);
        }
    std::sort(delays.begin(), delays.end());
    const double p50 = percentile(delays, 0.50), p90 = percentile(delays, 0.90), p99 = percentile(delays, 0.99);
    const double max = delays.empty() ? std::numeric_limits<double>::quiet_NaN() : delays.back();
    const bool pass = !published.empty() && p99 < limitMs && result.connected == static_cast<uint32_t>(o.viewers);
    const double reqs = static_cast<double>(result.playlistRequests + result.partRequests);

    std::printf("%-6s %-8s viewers %5d  parts %3zu  p50 %7s  p90 %7s  p99 %7s  max %7s ms  missed %zu  late %zu  req/s %7.0f  errors %llu  "
                "server cpu %5.1f%%  generator cpu %5.1f%%  %s\n",
                label.c_str(), mode.c_str(), o.viewers, published.size(), ms(p50).c_str(), ms(p90).c_str(), ms(p99).c_str(),
                ms(max).c_str(), missed, late, reqs / (duration + drain + warmup), static_cast<unsigned long long>(result.errors),
                serverCpu, selfCpu, pass ? "PASS" : "FAIL");
    std::printf("{\"label\":\"%s\",\"mode\":\"%s\",\"viewers\":%d,\"connected\":%u,\"parts\":%zu,\"p50_ms\":%s,\"p90_ms\":%s,\"p99_ms\":%s,"
                "\"max_ms\":%s,\"missed\":%zu,\"late\":%zu,\"playlist_requests\":%llu,\"part_requests\":%llu,\"errors\":%llu,"
                "\"reconnects\":%llu,\"bytes\":%llu,\"server_cpu_pct\":%.1f,\"generator_cpu_pct\":%.1f,\"pass\":%s}\n",
                label.c_str(), mode.c_str(), o.viewers, result.connected, published.size(), ms(p50) == "inf" ? "null" : ms(p50).c_str(),
                ms(p90) == "inf" ? "null" : ms(p90).c_str(), ms(p99) == "inf" ? "null" : ms(p99).c_str(),
                ms(max) == "inf" ? "null" : ms(max).c_str(), missed, late, static_cast<unsigned long long>(result.playlistRequests),
                static_cast<unsigned long long>(result.partRequests), static_cast<unsigned long long>(result.errors),
                static_cast<unsigned long long>(result.reconnects), static_cast<unsigned long long>(result.bytes), serverCpu, selfCpu,
                pass ? "true" : "false");
    return 0;
}
