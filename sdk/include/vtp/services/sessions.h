/*
 * Service "vtp.courses.sessions": the class sessions a section's schedule says are recorded, for
 * the recording plugin, which starts recording a session's live room ("courses:SESSION") when the
 * class begins and stops it when it ends, without reading the courses plugin's tables. Offered by
 * the courses plugin.
 */
#ifndef VTP_SERVICES_SESSIONS_H
#define VTP_SERVICES_SESSIONS_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_SESSIONS_SERVICE "vtp.courses.sessions"
#define VTP_SESSIONS_VERSION 1u

/* One session as a JSON object (len bytes, NUL-terminated), valid during the call. */
typedef void (*vtp_session_visitor)(void* user_data, const char* session_json, size_t len);

typedef struct vtp_sessions_v1 {
    uint32_t struct_size;
    void* context;
    /* Thread-safe. Calls `each` once for every class session that is recorded, not cancelled, and
     * in progress at `at` (unix seconds; starts_at <= at < ends_at), with {"id", "section_id",
     * "room" ("courses:" + id), "name", "starts_at", "ends_at", "instructors": [user ids]}.
     * Returns VTP_OK (also when there is none) or VTP_ERROR (the database failed: the caller must
     * not conclude that no session is in progress). */
    int (*recorded_sessions)(void* context, int64_t at, vtp_session_visitor each, void* user_data);
} vtp_sessions_v1;

/* The table as version 1 shipped: Host::find refuses a smaller one. */
#define VTP_SESSIONS_V1_SIZE VTP_SIZE_THROUGH(vtp_sessions_v1, recorded_sessions)

#ifdef __cplusplus
}
#endif

#endif
