#pragma once

// Adaptive ladders of recordings: after every recording.ready, a streaming.ladder job asks the
// recording plugin (service vtp.recording.media) to encode the configured rungs in its media
// worker. The recording stays playable from its single rendition meanwhile; once the ladder is
// made, the recording's /playback answer offers it (`adaptive`).

#include "LadderSpec.hpp"

#include <vtp/recording_media.hpp>
#include <vtp/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

namespace vtp::streaming {

class Ladder {
public:
    explicit Ladder(Host& host);
    void start();
    void stop();

    // Queues the ladder of recording `id` at `generation` (its processing's) unless that one was
    // queued already; true if queued.
    bool queue(const std::string& recordingId, const std::string& generation);
    // The request the media worker gets (the rungs and their settings).
    Json request() const;

private:
    Json run(Job& job, const Json& params);
    void finish(const std::string& recordingId, const std::string& state, const std::string& failure, const std::string& result);

    Host& host_;
    bool enabled_ = true;
    std::vector<Rung> rungs_;
    int64_t audioKbps_ = 128, segmentSeconds_ = 4, keyframeSeconds_ = 2, screenMaxFps_ = 15, maxAttempts_ = 3;
    std::string preset_, screenTune_, composedCorner_;
    int64_t composedCameraPercent_ = 25;
    std::unique_ptr<RecordingMedia> media_;
    Metric made_, failed_, seconds_;
};

} // namespace vtp::streaming
