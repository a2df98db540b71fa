// vtp-stream-worker: the streaming plugin's live ingest, in a process of its own (started by vtpd
// per live stream), so that a hostile publisher can crash or hang only this process. Listens for
// one publisher on RTMP or SRT, lets in only the one presenting the stream key, and writes the
// ladder as CMAF init segments, parts and segments for LL-HLS and LL-DASH. Reports on standard
// output, one JSON object a line: started, init, part, segment, refused, ended (README.md).
// Usage: vtp-stream-worker --listen URL --out-dir DIR --rung HEIGHT:KBPS ... --idle-timeout-ms N
//        [--audio-kbps N] [--segment-ms N] [--part-ms N] [--preset NAME] [--stall-timeout-ms N]
//        [--max-width N] [--max-height N] [--max-input-kbps N] [--max-fps N]
// Environment: VTP_STREAM_KEY, when set, is the key (in place of the one in the listen URL).
#include "IngestOptions.hpp"
#include "IngestSession.hpp"
#include "PublisherGate.hpp"

#include "Report.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
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
    // The plugin passes the key in the environment (argv is readable by every local user).
    if (const char* key = std::getenv("VTP_STREAM_KEY")) {
        if (!validStreamKey(key)) {
            vtp::media::reportLine("{\"type\":\"ended\",\"reason\":\"bad usage\",\"detail\":\"VTP_STREAM_KEY is not a stream key\"}");
            return 64;
        }
        options.listen.key = key;
        ::unsetenv("VTP_STREAM_KEY");
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
