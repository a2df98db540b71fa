// The recording plugin: class recordings started and stopped over REST, their sources (camera,
// screen, ...) uploaded with the tus 1.0 resumable upload protocol and kept on disk durably.
// Registration only; the work is in src/.
#include "src/RecordingService.hpp"

#include <vtp/sdk.hpp>

#include <cstdint>

namespace {

using vtp::ConfigKey;

class RecordingPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        return {
            .name = "recording",
            .version = "0.1.0",
            .description = "Class recordings: started and stopped over REST, sources uploaded with tus 1.0 and kept durably",
            .dependencies = {"auth"},
            // Who teaches a section and who moderates a class room, when courses is enabled; the
            // room's recording:* events, when signalling is.
            .optionalDependencies = {"courses", "signalling"},
            .config =
                {
                    ConfigKey::string("storage_dir", "",
                                      "Directory of the recordings' files; empty: <storage.data_dir>/recordings. With several nodes, a "
                                      "shared mount (NFS, CephFS) that every node sees at the same path"),
                    ConfigKey::integer("uploads.max_bytes", 21474836480,
                                       "Largest upload (one source of a recording), in bytes (Tus-Max-Size)")
                        .range(1, 1099511627776),
                    ConfigKey::integer("uploads.expire_seconds", 86400,
                                       "An unfinished upload untouched this long expires: its bytes are removed and it answers 410")
                        .range(1, 2592000),
                    ConfigKey::integer("uploads.sweep_seconds", 60, "How often expired uploads are looked for and removed").range(1, 86400),
                    ConfigKey::integer("max_title_chars", 200, "Longest recording title, in characters").range(1, 1000),
                    ConfigKey::integer("schedule.poll_seconds", 10,
                                       "How often each node looks for recorded class sessions that began (to start recording them) or "
                                       "ended (to stop); a class is recorded from at most this long after its start")
                        .range(1, 3600),
                    ConfigKey::string("processing.worker", "",
                                      "The media worker executable (vtp-media-worker); empty: the one installed beside this plugin"),
                    ConfigKey::integer("processing.memory_mb", 4096,
                                       "Address space a media worker may use, in MiB (RLIMIT_AS); 0: no limit")
                        .range(0, 1048576),
                    ConfigKey::integer("processing.cpu_seconds", 43200,
                                       "CPU time a media worker may use, in seconds (RLIMIT_CPU), all its threads together; 0: no limit")
                        .range(0, 604800),
                    ConfigKey::integer("processing.timeout_seconds", 43200,
                                       "Wall-clock time a media worker may run before it is killed, in seconds; 0: no limit")
                        .range(0, 604800),
                    ConfigKey::integer("processing.nice", 10, "Niceness added to media workers, so that vtpd's requests go first")
                        .range(0, 19),
                    ConfigKey::string("processing.preset", "veryfast",
                                      "libx264 preset of transcoded video (a slower one: smaller files, more CPU)")
                        .oneOf({"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"}),
                    ConfigKey::integer("processing.crf", 23, "libx264 constant rate factor of transcoded video (lower: better and larger)")
                        .range(0, 51),
                    ConfigKey::integer("processing.threads", 0, "Encoder threads of a media worker; 0: one per core").range(0, 64),
                    ConfigKey::integer("processing.segment_seconds", 4, "Target length of HLS/DASH segments, in seconds").range(1, 60),
                    ConfigKey::integer("processing.thumbnail_seconds", 5, "Seconds between the thumbnails of the seek preview track")
                        .range(1, 3600),
                    ConfigKey::integer("processing.max_width", 7680, "Widest picture a source may declare; wider ones fail")
                        .range(16, 16384),
                    ConfigKey::integer("processing.max_height", 4320, "Tallest picture a source may declare; taller ones fail")
                        .range(16, 16384),
                    ConfigKey::boolean("processing.live", true,
                                       "Process a live capture (an upload of deferred length) while it is uploaded, so that the recording "
                                       "is playable seconds after its last chunk; each is a long-running job (a thread of its own for the "
                                       "class's length, up to jobs.long_running_max per node). false: processed whole after stop"),
                    ConfigKey::integer("processing.max_attempts", 3,
                                       "Attempts of a recording's processing when the cause is not the media (no worker, a full disk)")
                        .range(1, 100),
                    ConfigKey::integer("quota.total_bytes", 0,
                                       "Bytes the whole store may hold (sources and processed output); uploads past it are refused "
                                       "with 507 quota-exceeded; 0: no limit")
                        .range(0, INT64_MAX),
                    ConfigKey::integer("quota.course_bytes", 0,
                                       "Bytes the recordings of one course may hold, unless an admin set the course's own quota "
                                       "(PUT /api/v1/recordings/quotas/courses/COURSE); 0: no limit")
                        .range(0, INT64_MAX),
                    ConfigKey::integer("retention.days", 0,
                                       "Ready and failed recordings are deleted this many days after they were stopped; 0: kept")
                        .range(0, 36500),
                    ConfigKey::boolean("retention.end_of_term", false,
                                       "Delete a section's ready and failed recordings retention.end_of_term_days after its term ends"),
                    ConfigKey::integer("retention.end_of_term_days", 30,
                                       "Days after the end of a section's term that its recordings are kept")
                        .range(0, 3650),
                    ConfigKey::integer("retention.sweep_seconds", 3600,
                                       "How often expired recordings are looked for (by one node at a time)")
                        .range(1, 86400),
                    ConfigKey::integer("playback.url_lifetime_seconds", 21600,
                                       "How long the signed URLs that /playback hands out work, in seconds: long enough to watch a "
                                       "long lecture with pauses, short enough that a shared link soon stops working")
                        .range(1, 604800),
                },
        };
    }

    void init(vtp::Host& host) override { service_ = std::make_unique<vtp::recording::RecordingService>(host); }
    void start() override { service_->start(); }
    void stop() override { service_->stop(); }

private:
    std::unique_ptr<vtp::recording::RecordingService> service_;
};

} // namespace

VTP_PLUGIN(RecordingPlugin)
