// The recording plugin: class recordings started and stopped over REST, their sources (camera,
// screen, ...) uploaded with the tus 1.0 resumable upload protocol and kept on disk durably.
// Registration only; the work is in src/.
#include "src/RecordingService.hpp"

#include <vtp/sdk.hpp>

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
            // Who teaches a section and who moderates a class room, when courses is enabled.
            .optionalDependencies = {"courses"},
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
