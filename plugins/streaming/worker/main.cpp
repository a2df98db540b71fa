// vtp-stream-worker: the streaming plugin's live ingest, in a process of its own (started by vtpd
// per live stream), so that a hostile publisher can crash or hang only this process. Listens for
// one publisher on RTMP or SRT, lets in only the one presenting the stream key, and writes the
// ladder as CMAF init segments, parts and segments for LL-HLS and LL-DASH. Reports on standard
// output, one JSON object a line: started, init, part, segment, refused, ended (README.md).
// Usage: vtp-stream-worker --listen URL --out-dir DIR --rung HEIGHT:KBPS ... --idle-timeout-ms N
//        [--audio-kbps N] [--segment-ms N] [--part-ms N] [--preset NAME] [--stall-timeout-ms N]
//        [--max-width N] [--max-height N] [--max-input-kbps N] [--max-fps N]
#include "IngestOptions.hpp"
#include "IngestSession.hpp"
#include "PublisherGate.hpp"

#include "Report.hpp"

#include <csignal>
#include <cstdio>
#include <new>

int main(int argc, char** argv)
{
    using namespace vtp::streaming::ingest;
    // The plugin reads our reports through a pipe: a closed pipe must not kill us mid-file.
    std::signal(SIGPIPE, SIG_IGN);
    PublisherGate& gate = PublisherGate::install();
    IngestOptions options;
    if (const std::string why = parseCommandLine(argc, argv, options); !why.empty()) {
        vtp::media::reportLine("{\"type\":\"ended\",\"reason\":\"bad usage\",\"detail\":" + vtp::media::jsonString(why) + "}");
        return 64;
    }
    try {
        return runIngest(options, gate);
    } catch (const std::bad_alloc&) {
        vtp::media::reportLine("{\"type\":\"ended\",\"reason\":\"worker failure\",\"detail\":\"out of memory\"}");
    } catch (const std::exception& e) {
        vtp::media::reportLine("{\"type\":\"ended\",\"reason\":\"worker failure\",\"detail\":" + vtp::media::jsonString(e.what()) + "}");
    }
    return 2;
}
