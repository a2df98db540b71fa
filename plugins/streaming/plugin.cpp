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
                    ConfigKey::integer("ladder.max_attempts", 3, "Attempts of a ladder job when the cause is not the media").range(1, 100),
                    ConfigKey::string("ingest.rtmp_url", "rtmp://127.0.0.1:1935/live",
                                      "Where encoders publish live streams over RTMP, as they reach it: a stream's URL is this, '/' and "
                                      "its key"),
                    ConfigKey::string("ingest.srt_url", "srt://127.0.0.1:9000",
                                      "Where encoders publish live streams over SRT, as they reach it: a stream's URL adds "
                                      "?streamid=#!::r=live/KEY,m=publish (percent-encoded)"),
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
