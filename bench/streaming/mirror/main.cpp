// vtp-llhls-mirror: the peer's playlists for bench/streaming/origin.sh. Runs vtp-stream-worker with
// --out-dir ROOT (the directory nginx serves) and turns its reports into LL-HLS media playlists with
// the plugin's own LivePlaylist, fed exactly as vtpd feeds it (LiveStreams::onMedia): each update
// is rendered and renamed into ROOT/RENDITION.m3u8 at once, so that nginx serves, as static files,
// the same parts and the same playlists vtpd serves from memory.
//
//   vtp-llhls-mirror --root ROOT --segment-ms 2000 --part-ms 250 --dvr-window-s 60 -- WORKER ARGS...
//
// The worker gets VTP_STREAM_KEY from this process's environment; it dies with this process.

#include "LiveNames.hpp"
#include "LlHls.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace vtp::streaming;

namespace {

[[noreturn]] void usage(const char* why)
{
    std::fprintf(stderr, "vtp-llhls-mirror: %s (see the comment at the top of bench/streaming/mirror/main.cpp)\n", why);
    std::exit(2);
}

void writeAtomically(const std::string& path, const std::string& text)
{
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
    }
    std::rename(tmp.c_str(), path.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    std::string root;
    int segmentMs = 2000, partMs = 250, dvrSeconds = 60;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            ++i;
            break;
        }
        if (i + 1 >= argc) usage("an option without its value");
        const std::string v = argv[++i];
        if (a == "--root")
            root = v;
        else if (a == "--segment-ms")
            segmentMs = std::stoi(v);
        else if (a == "--part-ms")
            partMs = std::stoi(v);
        else if (a == "--dvr-window-s")
            dvrSeconds = std::stoi(v);
        else
            usage(("unknown option " + a).c_str());
    }
    if (root.empty() || i >= argc || partMs <= 0 || segmentMs % partMs != 0)
        usage("--root, the timing and the worker's command are needed");

    int pipeFds[2];
    if (::pipe(pipeFds) != 0) return 1;
    const pid_t child = ::fork();
    if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(pipeFds[1], 1);
        ::close(pipeFds[0]);
        ::close(pipeFds[1]);
        ::execv(argv[i], argv + i);
        std::perror("execv");
        ::_exit(127);
    }
    ::close(pipeFds[1]);
    ::signal(SIGTERM, [](int) { std::_Exit(0); }); // the worker follows (PDEATHSIG)

    // As LiveSettings::playlistConfig().
    LlHlsConfig base;
    base.targetDurationSeconds = static_cast<int>(std::ceil(segmentMs / 1000.0));
    base.partTargetSeconds = std::min<double>(base.targetDurationSeconds, partMs * 1.1 / 1000.0);
    base.dvrWindowSeconds = dvrSeconds;
    const int perSegment = segmentMs / partMs;
    std::map<std::string, std::unique_ptr<LivePlaylist>> playlists;
    const auto playlistOf = [&](const std::string& name) -> LivePlaylist& {
        auto& p = playlists[name];
        if (!p) {
            LlHlsConfig c = base;
            c.mapUri = name + "/init.mp4";
            p = std::make_unique<LivePlaylist>(c);
        }
        return *p;
    };

    Poco::JSON::Parser parser;
    std::string pending;
    std::vector<std::string> lines;
    char buf[65536];
    for (;;) { // until the worker's pipe closes
        if (lines.empty()) {
            const ssize_t n = ::read(pipeFds[0], buf, sizeof buf);
            if (n <= 0) break;
            pending.append(buf, static_cast<size_t>(n));
            for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1))
                lines.push_back(pending.substr(0, nl));
            std::reverse(lines.begin(), lines.end());
            continue;
        }
        const std::string line = std::move(lines.back());
        lines.pop_back();
        Poco::JSON::Object::Ptr report;
        try {
            report = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
        } catch (const std::exception&) {
            continue;
        }
        const std::string type = report->optValue<std::string>("type", "");
        if (type != "part" && type != "segment") continue;
        const std::string name = report->optValue<std::string>("rendition", "");
        if (!validRenditionName(name)) continue;
        const auto msn = report->optValue<int64_t>("msn", -1);
        if (msn < 0) continue;
        const uint64_t g = static_cast<uint64_t>(msn);
        LivePlaylist& p = playlistOf(name);
        std::string hint;
        try {
            if (type == "segment") {
                p.finishSegment({name + "/" + mediaName({MediaName::Kind::Segment, g, 0}), report->optValue<double>("duration", 0),
                                 report->optValue<int64_t>("program_date_time_ms", 0)});
                hint = name + "/" + mediaName({MediaName::Kind::Part, g + 1, 0});
            } else {
                const auto k = report->optValue<int64_t>("part", -1);
                if (k < 0 || k > 9999) continue;
                const double duration = std::min(report->optValue<double>("duration", 0), p.config().partTargetSeconds);
                p.addPart({duration, report->optValue<bool>("independent", false),
                           name + "/" + mediaName({MediaName::Kind::Part, g, static_cast<uint32_t>(k)})});
                hint = name + "/" +
                       (k + 1 < perSegment ? mediaName({MediaName::Kind::Part, g, static_cast<uint32_t>(k + 1)})
                                           : mediaName({MediaName::Kind::Part, g + 1, 0}));
            }
            p.setPreloadHint(hint);
            writeAtomically(root + "/" + name + ".m3u8", *p.render());
        } catch (const std::invalid_argument& e) {
            std::fprintf(stderr, "vtp-llhls-mirror: a report skipped: %s\n", e.what());
        }
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return 0;
}
