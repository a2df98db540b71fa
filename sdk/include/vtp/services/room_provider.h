/*
 * Service "vtp.rooms.provider.NAME": live rooms whose existence, opening hours and membership
 * another plugin decides. The signalling plugin owns live rooms; a room id of the form
 * "NAME:KEY" (for example "courses:3f2a...", one class session) is not stored by signalling but
 * looked up through the service "vtp.rooms.provider.NAME" of the plugin that offers it. So the
 * courses plugin restricts a class room to its section's roster without either plugin knowing
 * the other's internals.
 */
#ifndef VTP_SERVICES_ROOM_PROVIDER_H
#define VTP_SERVICES_ROOM_PROVIDER_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_ROOM_PROVIDER_PREFIX  "vtp.rooms.provider."
#define VTP_ROOM_PROVIDER_VERSION 1u

typedef struct vtp_room_provider_v1 {
    uint32_t struct_size;
    void* context;
    /* Thread-safe. Describes room KEY as a JSON object written to out_json (NUL-terminated):
     * {"name": string, "opens_at": unix seconds, "closes_at": unix seconds, "max_participants": int},
     * and whatever else the provider knows (the courses plugin: "section_id", "session_id").
     * Returns VTP_OK, VTP_NOT_FOUND (no such room) or VTP_INVALID (out_cap too small). */
    int (*describe)(void* context, const char* key, char* out_json, size_t out_cap);
    /* Thread-safe. May `user_id` (holding `roles`, comma-separated) join room KEY at `now` (unix
     * seconds)? VTP_OK: yes, and *moderator is set to 1 if they moderate it (an instructor of the
     * section), else 0. VTP_NOT_FOUND: no such room. Anything else: no, with a short reason for the
     * user in `reason` (e.g. "you are not enrolled in this section", "the class opens at 10:00"). */
    int (*authorize)(void* context, const char* key, const char* user_id, const char* roles, int64_t now, int* moderator, char* reason,
                     size_t reason_cap);
} vtp_room_provider_v1;

/* The table as version 1 shipped: Host::find refuses a smaller one. */
#define VTP_ROOM_PROVIDER_V1_SIZE VTP_SIZE_THROUGH(vtp_room_provider_v1, authorize)

#ifdef __cplusplus
}
#endif

#endif
