#pragma once

// The service "vtp.recording.media" (sdk/include/vtp/services/recording_media.h): a ready
// recording's description, and media tasks on it (the streaming plugin's adaptive ladder) run in
// this plugin's media worker with its limits, their output among the recording's media.

#include <vtp/sdk.hpp>
#include <vtp/services/recording_media.h>

#include <string>
#include <vector>

namespace vtp::recording {

class RecordingService;

class MediaService {
public:
    MediaService(Host& host, RecordingService& service);
    const vtp_recording_media_v1* table() const { return &table_; }

    // The worker's arguments for a task request, after the input and output directories; throws
    // std::invalid_argument naming what is wrong with the request.
    static std::vector<std::string> taskArguments(const Json& request);

private:
    int describe(const std::string& id, std::string& out) const;
    int runTask(const std::string& id, const std::string& request, const vtp_recording_task_callbacks* callbacks, std::string& out);

    Host& host_;
    RecordingService& service_;
    vtp_recording_media_v1 table_{};
};

} // namespace vtp::recording
