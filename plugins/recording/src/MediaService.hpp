#pragma once

// The service "vtp.recording.media" (sdk/include/vtp/services/recording_media.h): a ready
// recording's description, and media tasks on it (the streaming plugin's adaptive ladder) run in
// this plugin's media worker with its limits, their output among the recording's media.

#include <vtp/sdk.hpp>
#include <vtp/services/recording_media.h>

#include <atomic>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace vtp::recording {

class RecordingService;

class MediaService {
public:
    MediaService(Host& host, RecordingService& service);
    const vtp_recording_media_v1* table() const { return &table_; }
    // Whether anyone observes served media (a cheap check before building the observation).
    bool observed() const { return observerCount_.load(std::memory_order_relaxed) > 0; }
    // Tells every observer of a file served (JSON as the header describes).
    void served(const std::string& observation);

    // The worker's arguments for a task request, after the input and output directories; throws
    // std::invalid_argument naming what is wrong with the request.
    static std::vector<std::string> taskArguments(const Json& request);

private:
    int describe(const std::string& id, std::string& out) const;
    int importRecording(const std::string& request, std::string& out);
    int runTask(const std::string& id, const std::string& request, const vtp_recording_task_callbacks* callbacks, std::string& out);

    Host& host_;
    RecordingService& service_;
    vtp_recording_media_v1 table_{};
    // Observers are few and change at plugin start and stop; calls take a shared lock.
    std::shared_mutex observersMutex_;
    std::vector<std::pair<vtp_recording_json_visitor, void*>> observers_;
    std::atomic<size_t> observerCount_{0};
};

} // namespace vtp::recording
