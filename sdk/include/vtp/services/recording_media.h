/*
 * Service "vtp.recording.media": a ready recording's media, for plugins that make more of it (the
 * streaming plugin's adaptive ladder) without reading the recording plugin's tables or files.
 * Offered by the recording plugin. Tasks run in the recording plugin's media worker, a process of
 * its own with the plugin's limits; their output joins the recording's processed media and is
 * served through the same signed playback URLs.
 */
#ifndef VTP_SERVICES_RECORDING_MEDIA_H
#define VTP_SERVICES_RECORDING_MEDIA_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_RECORDING_MEDIA_SERVICE "vtp.recording.media"
#define VTP_RECORDING_MEDIA_VERSION 1u

/* A JSON object (len bytes, NUL-terminated), valid during the call. */
typedef void (*vtp_recording_json_visitor)(void* user_data, const char* json, size_t len);

/* What a running task asks its caller. Read by struct_size: a caller built against a later SDK
 * may pass a larger struct. */
typedef struct vtp_recording_task_callbacks {
    uint32_t struct_size;
    void* user_data;
    /* Polled a few times a second: nonzero stops the task (its worker is killed). May be NULL. */
    int (*cancelled)(void* user_data);
    /* The fraction done, 0..1. May be NULL. */
    void (*progress)(void* user_data, double fraction);
} vtp_recording_task_callbacks;

typedef struct vtp_recording_media_v1 {
    uint32_t struct_size;
    void* context;
    /* Thread-safe. The recording as {"id", "title", "state", "room_id", "section_id", "owner_id",
     * "visibility", "duration_s", "media", "updated_at"} (media: processing's result once ready,
     * else null; updated_at: Unix seconds of the last change, processing's end included) to
     * `each`. VTP_OK, VTP_NOT_FOUND, or VTP_ERROR (the database failed). */
    int (*describe)(void* context, const char* id, size_t id_len, vtp_recording_json_visitor each, void* user_data);
    /* Thread-safe; blocks for the task's length (call it from a job). Runs `request` (JSON) on the
     * ready recording `id`'s sources in the media worker:
     *   {"task": "ladder", "rungs": [{"name", "height", "video_kbps", "audio_kbps"}...],
     *    "audio_kbps", "preset", "keyframe_seconds", "segment_seconds",
     *    "screen": {"tune", "max_fps"}, "composed": {"camera_percent" (0: none), "corner"}}
     * Its output files, named "abr-*", replace the previous ladder's among the recording's media
     * (the rest stays playable meanwhile). The worker's result (JSON) goes to `result`. Returns
     * VTP_OK; VTP_INVALID when the media or the request is the cause (result: {"reason"}), not
     * worth a retry; VTP_NOT_FOUND when the recording is gone or not ready; VTP_CONFLICT when it
     * was cancelled; VTP_ERROR when another attempt may succeed (result: {"reason"}). */
    int (*run_task)(void* context, const char* id, size_t id_len, const char* request, size_t request_len,
                    const vtp_recording_task_callbacks* callbacks, vtp_recording_json_visitor result, void* user_data);
    /* Thread-safe. `observer` is called, on the HTTP thread that served it (keep it short), for
     * every file of a recording's media served through its signed URLs, with {"recording_id",
     * "user_id", "file", "bytes" (the file's size), "at_ms", "cmcd" (the CMCD query argument,
     * decoded, or null), "cmcd_headers": {"cmcd-request", "cmcd-object", "cmcd-status",
     * "cmcd-session"} (those sent)}: what a player's Common Media Client Data says of how it
     * plays. VTP_OK, or VTP_NO_MEMORY past 16 observers. */
    int (*observe)(void* context, vtp_recording_json_visitor observer, void* user_data);
    /* Removes an observer (the same pair); after it returns the observer is never called again. */
    int (*unobserve)(void* context, vtp_recording_json_visitor observer, void* user_data);
    /* Thread-safe; copies files (blocks for that long). A finished recording made of local files
     * (a live stream that ended): {"title", "section_id" | "room_id", "owner_id", "visibility"?,
     * "started_at_ms", "stopped_at_ms", "sources": [{"path" (absolute, a regular file), "kind"
     * (camera, screen, audio, file, other), "started_at_ms"}]}; the caller decided who may. The
     * recording is processed like any other (and gets its ladder). Its {"id"} to `result`.
     * VTP_OK; VTP_INVALID for a wrong request (result: {"reason"}); VTP_CONFLICT when the quota has
     * no room for it; VTP_ERROR when a file could not be copied. */
    int (*import_recording)(void* context, const char* request, size_t request_len, vtp_recording_json_visitor result, void* user_data);

    /* Thread-safe. What
     * GET /api/v1/recordings/{id}/playback answers user `user_id` (an admin when `admin` is
     * nonzero), with URLs signed for that user: {"hls", "dash", "poster", "thumbnails", "download",
     * "expires_at", "adaptive"}, to `each`. Every file of the recording's media is served beside
     * those URLs (the same signed folder). VTP_OK; VTP_NOT_FOUND when there is no such recording or
     * that user may not see it; VTP_CONFLICT when it is not ready; VTP_ERROR. */
    int (*playback)(void* context, const char* id, size_t id_len, const char* user_id, size_t user_id_len, int admin,
                    vtp_recording_json_visitor each, void* user_data);
} vtp_recording_media_v1;

/* The table as version 1 shipped: Host::find refuses a smaller one. */
#define VTP_RECORDING_MEDIA_V1_SIZE VTP_SIZE_THROUGH(vtp_recording_media_v1, playback)

#ifdef __cplusplus
}
#endif

#endif
