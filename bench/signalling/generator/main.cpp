// vtp-sio-bench: the load generator of bench/signalling. See LoadGenerator.hpp for what a client
// does and docs/performance.md ("Signalling") for how run.sh uses it. Usage:
//
//   vtp-sio-bench --port P --clients N --rooms FILE (--tokens FILE | --token T) [options]
//
// Phases: connect every client and join its room; hold (heartbeats only) for --hold seconds;
// then one step per send rate (--period P: one chat per client every P seconds; --rates
// R1,R2,...: total chat:send per second), each --step-seconds long and followed by --drain
// seconds without sends; with --stop-above-ms, stepping stops after the first step whose fan-out
// p99 exceeds it or that lost a message. Figures go to stdout and, with --json, to a file.

#include "LoadGenerator.hpp"
#include "ProcessProbe.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace vtp::bench;

namespace {

struct Cli {
    GeneratorOptions gen;
    std::string roomsFile, tokensFile, token, jsonFile, label = "server";
    double connectTimeout = 180, hold = 0, period = 0, stepSeconds = 10, drain = 2, stopAboveMs = 0;
    std::vector<double> rates;
    int serverPid = 0;
};

[[noreturn]] void usage(const std::string& why)
{
    std::cerr << "vtp-sio-bench: " << why << "\n"
              << "usage: vtp-sio-bench --port P --clients N --rooms FILE (--tokens FILE | --token T)\n"
                 "       [--host 127.0.0.1] [--path /socket.io/] [--room-size 25] [--threads 1] [--in-flight 200]\n"
                 "       [--connect-timeout 180] [--hold S] [--period P | --rates R1,R2,...] [--step-seconds 10]\n"
                 "       [--drain 2] [--stop-above-ms MS] [--text-bytes 64] [--server-pid PID] [--label NAME]\n"
                 "       [--json FILE] [--validate]\n";
    std::exit(2);
}

std::vector<std::string> readLines(const std::string& file)
{
    std::ifstream in(file);
    if (!in) usage("cannot read " + file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line) && lines.size() < 10'000'000;)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

Cli parse(int argc, char** argv)
{
    Cli c;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        auto number = [&]() {
            const std::string v = value();
            try {
                return std::stod(v);
            } catch (const std::exception&) {
                usage(a + ": not a number: " + v);
            }
        };
        if (a == "--host")
            c.gen.host = value();
        else if (a == "--port")
            c.gen.port = static_cast<int>(number());
        else if (a == "--path")
            c.gen.path = value();
        else if (a == "--clients")
            c.gen.clients = static_cast<std::size_t>(number());
        else if (a == "--room-size")
            c.gen.roomSize = static_cast<std::size_t>(number());
        else if (a == "--rooms")
            c.roomsFile = value();
        else if (a == "--tokens")
            c.tokensFile = value();
        else if (a == "--token")
            c.token = value();
        else if (a == "--threads")
            c.gen.threads = static_cast<unsigned>(number());
        else if (a == "--in-flight")
            c.gen.maxInFlight = static_cast<std::size_t>(number());
        else if (a == "--text-bytes")
            c.gen.textBytes = static_cast<std::size_t>(number());
        else if (a == "--connect-timeout")
            c.connectTimeout = number();
        else if (a == "--hold")
            c.hold = number();
        else if (a == "--period")
            c.period = number();
        else if (a == "--step-seconds")
            c.stepSeconds = number();
        else if (a == "--drain")
            c.drain = number();
        else if (a == "--stop-above-ms")
            c.stopAboveMs = number();
        else if (a == "--server-pid")
            c.serverPid = static_cast<int>(number());
        else if (a == "--label")
            c.label = value();
        else if (a == "--json")
            c.jsonFile = value();
        else if (a == "--validate")
            c.gen.validate = true;
        else if (a == "--rates") {
            std::stringstream ss(value());
            for (std::string r; std::getline(ss, r, ',') && c.rates.size() < 100;) c.rates.push_back(std::stod(r));
        } else
            usage("unknown argument " + a);
    }
    if (c.roomsFile.empty()) usage("--rooms is required");
    c.gen.rooms = readLines(c.roomsFile);
    if (!c.tokensFile.empty())
        c.gen.tokens = readLines(c.tokensFile);
    else if (!c.token.empty())
        c.gen.tokens = {c.token};
    else
        usage("--tokens or --token is required");
    if (c.period > 0 && !c.rates.empty()) usage("--period and --rates exclude each other");
    return c;
}

double percentileMs(std::vector<std::uint32_t> v, double p)
{
    if (v.empty()) return 0;
    const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k] / 1000.0;
}

double ownCpuSeconds()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double secondsSince(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Sleeps in small slices (the loop is bounded by the deadline) so that a progress line can be printed.
void waitFor(double seconds)
{
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

struct StepResult {
    double rate = 0, periodS = 0, seconds = 0;
    std::uint64_t sent = 0, expected = 0, delivered = 0, echoes = 0, acksOk = 0, acksRefused = 0, skipped = 0, drops = 0;
    double p50 = 0, p99 = 0, max = 0, deliveredPerS = 0, serverCores = 0, serverUsPerDelivery = 0, genCores = 0;
};

std::string json(const std::string& s)
{
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) continue;
        out += ch;
    }
    return out + "\"";
}

} // namespace

int main(int argc, char** argv)
{
    Cli cli = parse(argc, argv);
    const std::size_t n = cli.gen.clients;
    std::printf("[%s] %zu clients in rooms of %zu, %u generator thread(s), server pid %d\n", cli.label.c_str(), n, cli.gen.roomSize,
                cli.gen.threads, cli.serverPid);
    std::fflush(stdout);

    std::unique_ptr<LoadGenerator> gen;
    try {
        gen = std::make_unique<LoadGenerator>(cli.gen);
    } catch (const std::exception& e) {
        usage(e.what());
    }

    // --- connect
    const ProcessSample base = sampleProcess(cli.serverPid);
    const auto t0 = std::chrono::steady_clock::now();
    gen->start();
    double connectSeconds = 0;
    for (int progress = 0;; ++progress) {
        const std::uint64_t done = gen->joined() + gen->failed();
        connectSeconds = secondsSince(t0);
        if (done >= n || connectSeconds > cli.connectTimeout) break;
        if (progress % 100 == 99) {
            std::printf("  connecting: %llu joined, %llu failed after %.1f s\n", static_cast<unsigned long long>(gen->joined()),
                        static_cast<unsigned long long>(gen->failed()), connectSeconds);
            std::fflush(stdout);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const ProcessSample afterConnect = sampleProcess(cli.serverPid);
    Snapshot snap = gen->snapshot();
    const double joinP50 = percentileMs(snap.connect.joinUs, 0.5), joinP99 = percentileMs(snap.connect.joinUs, 0.99);
    const double readyP99 = percentileMs(snap.connect.readyUs, 0.99);
    std::printf("  connect: %llu/%zu joined in %.2f s (%llu failed, %llu retries, %llu joins refused); join p50 %.2f ms p99 %.2f ms; "
                "connect-to-joined p99 %.1f ms\n",
                static_cast<unsigned long long>(snap.connect.joined), n, connectSeconds,
                static_cast<unsigned long long>(snap.connect.failed), static_cast<unsigned long long>(snap.connect.retries),
                static_cast<unsigned long long>(snap.connect.joinRefused), joinP50, joinP99, readyP99);
    if (!snap.connect.lastError.empty()) std::printf("  last connect error: %s\n", snap.connect.lastError.c_str());
    std::fflush(stdout);

    // --- hold: connections idle but for Engine.IO heartbeats
    double holdCores = 0;
    std::uint64_t holdDrops = 0, holdPings = 0;
    if (cli.hold > 0) {
        const ProcessSample before = sampleProcess(cli.serverPid);
        const std::uint64_t drops0 = gen->drops(), pings0 = gen->snapshot().pings;
        const auto h0 = std::chrono::steady_clock::now();
        for (int s = 0; s < static_cast<int>(cli.hold / 10); ++s) {
            waitFor(10);
            std::printf("  holding: %.0f s, %llu dropped\n", secondsSince(h0), static_cast<unsigned long long>(gen->drops() - drops0));
            std::fflush(stdout);
        }
        waitFor(cli.hold - secondsSince(h0));
        const ProcessSample after = sampleProcess(cli.serverPid);
        holdCores = (after.cpuSeconds - before.cpuSeconds) / secondsSince(h0);
        holdDrops = gen->drops() - drops0;
        holdPings = gen->snapshot().pings - pings0;
        std::printf("  hold: %.0f s, %llu dropped, %llu pings answered, server CPU %.3f cores\n", cli.hold,
                    static_cast<unsigned long long>(holdDrops), static_cast<unsigned long long>(holdPings), holdCores);
        std::fflush(stdout);
    }
    const ProcessSample afterHold = sampleProcess(cli.serverPid);

    // --- steps
    std::vector<double> periods;
    if (cli.period > 0) periods.push_back(cli.period);
    for (double r : cli.rates)
        if (r > 0) periods.push_back(static_cast<double>(snap.connect.joined ? snap.connect.joined : n) / r);
    std::vector<StepResult> results;
    for (std::size_t k = 0; k < periods.size(); ++k) {
        const std::uint64_t drops0 = gen->drops();
        const ProcessSample before = sampleProcess(cli.serverPid);
        const double gen0 = ownCpuSeconds();
        const auto s0 = std::chrono::steady_clock::now();
        gen->runStep(k, periods[k]);
        waitFor(cli.stepSeconds);
        const ProcessSample atEnd = sampleProcess(cli.serverPid);
        const double stepSeconds = secondsSince(s0);
        const double genCpu = ownCpuSeconds() - gen0;
        gen->runStep(k + 1, 0); // sends stop; what is in flight still counts for step k
        waitFor(cli.drain);
        const ProcessSample afterDrain = sampleProcess(cli.serverPid);
        snap = gen->snapshot();
        StepResult r;
        if (k < snap.steps.size()) {
            const StepFigures& f = snap.steps[k];
            r.sent = f.sent;
            r.expected = f.expected;
            r.delivered = f.delivered;
            r.echoes = f.echoes;
            r.acksOk = f.acksOk;
            r.acksRefused = f.acksRefused;
            r.skipped = f.skippedSends;
            r.p50 = percentileMs(f.fanoutUs, 0.5);
            r.p99 = percentileMs(f.fanoutUs, 0.99);
            r.max = f.fanoutUs.empty() ? 0 : *std::max_element(f.fanoutUs.begin(), f.fanoutUs.end()) / 1000.0;
        }
        r.periodS = periods[k];
        r.seconds = stepSeconds;
        r.rate = static_cast<double>(r.sent) / stepSeconds;
        r.deliveredPerS = static_cast<double>(r.delivered) / stepSeconds;
        r.serverCores = (atEnd.cpuSeconds - before.cpuSeconds) / stepSeconds;
        r.serverUsPerDelivery = r.delivered ? (afterDrain.cpuSeconds - before.cpuSeconds) * 1e6 / static_cast<double>(r.delivered) : 0;
        r.genCores = genCpu / stepSeconds;
        r.drops = gen->drops() - drops0;
        results.push_back(r);
        std::printf(
            "  step %zu: %.0f chat/s sent (period %.3f s), %.0f delivered/s, %llu/%llu delivered (%llu lost), fan-out p50 %.2f ms "
            "p99 %.2f ms max %.1f ms, acks %llu ok %llu refused, %llu skipped sends, %llu dropped, server %.2f cores (%.1f us/delivery), "
            "generator %.2f cores\n",
            k, r.rate, r.periodS, r.deliveredPerS, static_cast<unsigned long long>(r.delivered),
            static_cast<unsigned long long>(r.expected),
            static_cast<unsigned long long>(r.expected > r.delivered ? r.expected - r.delivered : 0), r.p50, r.p99, r.max,
            static_cast<unsigned long long>(r.acksOk), static_cast<unsigned long long>(r.acksRefused),
            static_cast<unsigned long long>(r.skipped), static_cast<unsigned long long>(r.drops), r.serverCores, r.serverUsPerDelivery,
            r.genCores);
        std::fflush(stdout);
        if (cli.stopAboveMs > 0 && (r.p99 > cli.stopAboveMs || r.delivered < r.expected || r.drops > 0)) break;
    }

    const ProcessSample last = sampleProcess(cli.serverPid);
    snap = gen->snapshot();
    const std::uint64_t totalDrops = gen->drops();
    gen->stop(5);

    const double rssPerConnKib = n ? static_cast<double>(afterHold.rssKib - base.rssKib) / static_cast<double>(n) : 0;
    std::printf("  server RSS: %ld KiB before, %ld KiB connected, %ld KiB after hold, %ld KiB at the end (peak %ld KiB): "
                "%.1f KiB per connection\n",
                base.rssKib, afterConnect.rssKib, afterHold.rssKib, last.rssKib, last.hwmKib, rssPerConnKib);
    std::printf("  frames received %llu, other clients' chats %llu, pings answered %llu, dropped %llu, invalid frames %llu%s%s\n",
                static_cast<unsigned long long>(snap.framesIn), static_cast<unsigned long long>(snap.foreignChats),
                static_cast<unsigned long long>(snap.pings), static_cast<unsigned long long>(totalDrops),
                static_cast<unsigned long long>(snap.invalid), snap.invalid ? ", last: " : "", snap.lastInvalid.c_str());
    std::fflush(stdout);

    if (!cli.jsonFile.empty()) {
        std::ofstream out(cli.jsonFile);
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "{\"label\":%s,\"clients\":%zu,\"joined\":%llu,\"failed\":%llu,\"connect_s\":%.3f,\"join_p50_ms\":%.3f,"
                      "\"join_p99_ms\":%.3f,\"rss_base_kib\":%ld,\"rss_connected_kib\":%ld,\"rss_after_hold_kib\":%ld,"
                      "\"rss_per_conn_kib\":%.3f,\"hold_s\":%.1f,\"hold_cores\":%.4f,\"hold_drops\":%llu,\"hold_pings\":%llu,",
                      json(cli.label).c_str(), n, static_cast<unsigned long long>(snap.connect.joined),
                      static_cast<unsigned long long>(snap.connect.failed), connectSeconds, joinP50, joinP99, base.rssKib,
                      afterConnect.rssKib, afterHold.rssKib, rssPerConnKib, cli.hold, holdCores, static_cast<unsigned long long>(holdDrops),
                      static_cast<unsigned long long>(holdPings));
        out << buf;
        std::snprintf(buf, sizeof buf, "\"foreign_chats\":%llu,\"drops\":%llu,\"invalid\":%llu,\"pings\":%llu,\"steps\":[",
                      static_cast<unsigned long long>(snap.foreignChats), static_cast<unsigned long long>(totalDrops),
                      static_cast<unsigned long long>(snap.invalid), static_cast<unsigned long long>(snap.pings));
        out << buf;
        for (std::size_t k = 0; k < results.size(); ++k) {
            const StepResult& r = results[k];
            std::snprintf(buf, sizeof buf,
                          "%s{\"rate\":%.1f,\"period_s\":%.4f,\"seconds\":%.2f,\"sent\":%llu,\"expected\":%llu,\"delivered\":%llu,"
                          "\"delivered_per_s\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"acks_ok\":%llu,\"acks_refused\":%llu,"
                          "\"skipped\":%llu,\"drops\":%llu,\"server_cores\":%.3f,\"server_us_per_delivery\":%.3f,\"generator_cores\":%.3f}",
                          k ? "," : "", r.rate, r.periodS, r.seconds, static_cast<unsigned long long>(r.sent),
                          static_cast<unsigned long long>(r.expected), static_cast<unsigned long long>(r.delivered), r.deliveredPerS, r.p50,
                          r.p99, r.max, static_cast<unsigned long long>(r.acksOk), static_cast<unsigned long long>(r.acksRefused),
                          static_cast<unsigned long long>(r.skipped), static_cast<unsigned long long>(r.drops), r.serverCores,
                          r.serverUsPerDelivery, r.genCores);
            out << buf;
        }
        out << "]}\n";
    }
    const bool ok = snap.connect.joined == n && snap.invalid == 0;
    return ok ? 0 : 1;
}
