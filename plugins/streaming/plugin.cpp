// The streaming plugin: recordings and live classes as adaptive streams (a ladder of renditions),
// live distribution to large audiences, and how well people watched. Registration only; the work
// is in src/.
#include "src/StreamingService.hpp"

#include <vtp/sdk.hpp>

namespace {

using vtp::ConfigKey;

class StreamingPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        return {
            .name = "streaming",
            .version = "0.1.0",
            .description = "Adaptive streams of recordings and live classes (HLS and DASH ladders)",
            // The recording plugin's media worker and storage, through its service
            // vtp.recording.media; sections and rooms through theirs when enabled.
            .dependencies = {"auth", "recording"},
            .optionalDependencies = {"courses", "signalling"},
            .config =
                {
                    ConfigKey::boolean("ladder.enabled", true,
                                       "Make an adaptive ladder of every recording once it is processed (a job per recording)"),
                    ConfigKey::stringArray("ladder.rungs", {"1080:5000", "720:2800", "480:1400", "360:800"},
                                           "The video rungs, HEIGHT:KBPS (pixels high, average kbit/s); a recording gets those at or "
                                           "below its own height (the lowest always), plus an audio-only rendition"),
                    ConfigKey::integer("ladder.audio_kbps", 128, "AAC bitrate of every rung's audio, in kbit/s").range(32, 512),
                    ConfigKey::string("ladder.preset", "veryfast", "libx264 preset of the rungs (a slower one: fewer bits, more CPU)")
                        .oneOf({"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"}),
                    ConfigKey::integer("ladder.segment_seconds", 4, "Segment length of the rungs, in seconds (the same on every rung)")
                        .range(1, 30),
                    ConfigKey::integer("ladder.keyframe_seconds", 2,
                                       "Seconds between keyframes, at the same instants on every rung (a divisor of segment_seconds)")
                        .range(1, 30),
                    ConfigKey::string("ladder.screen_tune", "stillimage",
                                      "libx264 tune of a shared screen's rungs: stillimage keeps text sharp on slides that rarely move")
                        .oneOf({"stillimage", "animation", "film", "none"}),
                    ConfigKey::integer("ladder.screen_max_fps", 15,
                                       "Highest frame rate of a shared screen's rungs (slides need few frames; the bits go to sharpness)")
                        .range(1, 60),
                    ConfigKey::boolean(
                        "composed.enabled", true,
                        "With a camera and a shared screen, the ladder includes one composed presentation (the screen large, "
                        "the camera small in a corner) for players that show one video (abr-composed.m3u8)"),
                    ConfigKey::integer("composed.camera_percent", 25, "The camera's width in the composed picture, in percent of its width")
                        .range(5, 50),
                    ConfigKey::string("composed.corner", "bottom-right", "The composed picture's corner that shows the camera")
                        .oneOf({"top-left", "top-right", "bottom-left", "bottom-right"}),
                    ConfigKey::integer("ladder.max_attempts", 3, "Attempts of a ladder job when the cause is not the media").range(1, 100),
                    ConfigKey::string("ingest.rtmp_url", "rtmp://127.0.0.1:1935/live",
                                      "Where encoders publish live streams over RTMP, as they reach it: a stream's URL is this with the "
                                      "stream's own port (from ingest.rtmp_ports), '/' and its key; its path is the RTMP application"),
                    ConfigKey::string("ingest.srt_url", "srt://127.0.0.1:9000",
                                      "Where encoders publish live streams over SRT, as they reach it: a stream's URL is this with the "
                                      "stream's own port (from ingest.srt_ports) and ?streamid=#!::r=live/KEY,m=publish (percent-encoded)"),
                    ConfigKey::boolean("ingest.enabled", true,
                                       "Run the live ingest on this node: a worker per protocol for every stream that has not ended, "
                                       "and the live playback routes"),
                    ConfigKey::string("ingest.rtmp_ports", "19350-19449",
                                      "TCP ports for RTMP ingest, FIRST-LAST: each stream gets one of its own for its life (open them "
                                      "to encoders)"),
                    ConfigKey::string("ingest.srt_ports", "19450-19549",
                                      "UDP ports for SRT ingest, FIRST-LAST: each stream gets one of its own for its life (open them "
                                      "to encoders)"),
                    ConfigKey::string("ingest.listen_address", "0.0.0.0",
                                      "The IPv4 address the ingest workers listen on (0.0.0.0: every interface)"),
                    ConfigKey::string("ingest.worker", "",
                                      "The live ingest worker executable (vtp-stream-worker); empty: the one installed beside this plugin"),
                    ConfigKey::integer("ingest.memory_mb", 3072, "Address-space limit of each ingest worker, in MiB").range(256, 65536),
                    ConfigKey::integer("ingest.nice", 5, "Added to the ingest workers' niceness (viewers' requests first)").range(0, 19),
                    ConfigKey::integer("ingest.stall_timeout_ms", 4000,
                                       "A publisher that sends nothing this long has gone (then the reconnect grace runs)")
                        .range(500, 600000),
                    ConfigKey::integer("ingest.max_input_kbps", 25000, "A publisher sending more than this (kbit/s) is cut off")
                        .range(100, 1000000),
                    ConfigKey::stringArray("live.rungs", {"1080:5000", "720:2800", "480:1400", "360:800"},
                                           "The live ladder, HEIGHT:KBPS: a stream gets the rungs at or below its source's height (the "
                                           "lowest always), plus an audio-only rendition"),
                    ConfigKey::integer("live.audio_kbps", 128, "AAC bitrate of the live audio, in kbit/s").range(32, 512),
                    ConfigKey::string("live.preset", "veryfast", "libx264 preset of the live rungs")
                        .oneOf({"ultrafast", "superfast", "veryfast", "faster", "fast", "medium"}),
                    ConfigKey::integer("live.segment_ms", 2000, "Live segment length, in ms (a whole number of parts)").range(500, 10000),
                    ConfigKey::integer("live.part_ms", 500, "Live part length (LL-HLS parts, LL-DASH chunks), in ms").range(100, 10000),
                    ConfigKey::integer("live.dvr_window_seconds", 7200, "How far back a viewer can rewind a live stream, in seconds")
                        .range(6, 86400),
                    ConfigKey::integer("live.reconnect_grace_seconds", 30,
                                       "After a publisher drops, how long a new publish with the key continues the same stream before "
                                       "it ends (0: it ends at once)")
                        .range(0, 3600),
                    ConfigKey::integer("live.max_waiters_per_rendition", 10000,
                                       "Blocking playlist reloads and early part requests held per rendition at once (more: 503)")
                        .range(1, 1000000),
                    ConfigKey::integer("playback.url_lifetime_seconds", 21600,
                                       "How long the signed live playback URLs of a stream work, in seconds (a player asks for the "
                                       "stream again after expires_at)")
                        .range(1, 604800),
                    ConfigKey::boolean("analytics.enabled", true,
                                       "Stream analytics: playback sessions (CMCD) of recordings and live streams, their reports, "
                                       "metrics and playback.progress events"),
                    ConfigKey::integer("analytics.session_idle_seconds", 60,
                                       "A playback session without a request for this long has ended: it is stored and its last "
                                       "playback.progress published")
                        .range(1, 3600),
                    ConfigKey::integer("analytics.max_sessions", 20000,
                                       "Playback sessions kept in memory at once per node (beyond, new ones count only as egress)")
                        .range(100, 1000000),
                    ConfigKey::integer("analytics.retention_days", 400, "Stored playback sessions are deleted after this many days")
                        .range(1, 36500),
                },
        };
    }

    void init(vtp::Host& host) override { service_ = std::make_unique<vtp::streaming::StreamingService>(host); }
    void start() override { service_->start(); }
    void stop() override { service_->stop(); }

private:
    std::unique_ptr<vtp::streaming::StreamingService> service_;
};

} // namespace

VTP_PLUGIN(StreamingPlugin)
