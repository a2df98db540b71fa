#pragma once

// A recording as one presentation: GET /api/v1/recordings/{id}/presentation answers whoever may
// watch it with each source's (camera, screen, a second camera) HLS master playlist, signed for
// them, and where the source starts on the recording's timeline, for a player that plays them side
// by side on one clock (the page served by PlayerAssets). The URLs come from the recording plugin
// through its service vtp.recording.media (playback entry), never its tables: the adaptive
// ladder's masters once the ladder is made, else the single rendition's. Thread-safe once start()
// has run.

#include <vtp/recording_media.hpp>
#include <vtp/sdk.hpp>

#include <memory>
#include <optional>
#include <string>

namespace vtp::streaming {

class Presentation {
public:
    // Registers the route (in init).
    explicit Presentation(Host& host);
    // Finds the recording plugin's service.
    void start();
    void stop();

    // The sources of a presentation (pure: unit-tested). `playback` is the recording's /playback
    // answer, `recording` its description (vtp.recording.media describe), `ladder` the stored
    // ladder worker result when the ladder is ready (else null): [{kind, role, offset_s, hls}],
    // the primary source (the main one, whose clock leads) first.
    static Json sources(const Json& playback, const Json& recording, const Json& ladder);

private:
    Response get(const Request& req);
    // The worker's result of the recording's ready ladder, or null.
    Json readyLadder(const std::string& recordingId) const;

    Host& host_;
    std::unique_ptr<RecordingMedia> media_;
};

} // namespace vtp::streaming
