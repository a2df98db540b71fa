/*
 * Service "vtp.courses.sections": what a user is in a course section (teaches it, assists, is
 * enrolled or waitlisted), for plugins that decide by a section's roster without reading the
 * courses plugin's tables (the recording plugin: who may record a section's class, who may watch
 * it; its quotas per course and retention at the end of the term). Offered by the courses plugin.
 */
#ifndef VTP_SERVICES_SECTIONS_H
#define VTP_SERVICES_SECTIONS_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_SECTIONS_SERVICE "vtp.courses.sections"
#define VTP_SECTIONS_VERSION 1u

typedef struct vtp_sections_v1 {
    uint32_t struct_size;
    void* context;
    /* Thread-safe. What user `user_id` is in section `section_id`, written NUL-terminated to
     * relation_out: "instructor", "assistant", "enrolled", "waitlisted", or "" (none of these).
     * Returns VTP_OK, VTP_NOT_FOUND (no such section), VTP_INVALID (relation_cap below 16) or
     * VTP_ERROR (the database failed). */
    int (*relation)(void* context, const char* section_id, const char* user_id, char* relation_out, size_t relation_cap);
    /* since 1.7: optional, read only when struct_size covers it and it is not NULL (vtp::tableHas). */
    /* Thread-safe. Describes section `section_id` as a JSON object written NUL-terminated to
     * out_json: {"section_id", "section_name", "course_id", "course_code", "course_title",
     * "term_id", "term_name", "term_starts_at", "term_ends_at"}, the last two Unix seconds (the
     * start of the term's first day and the end of its last day, in the term's time zone). More
     * members may come; ignore those you do not know. Returns VTP_OK, VTP_NOT_FOUND (no such
     * section), VTP_INVALID (out_cap too small: 4096 always suffices) or VTP_ERROR. */
    int (*describe)(void* context, const char* section_id, char* out_json, size_t out_cap);
} vtp_sections_v1;

/* The table as version 1 first shipped (relation): Host::find refuses a smaller one. The 1.7
 * field after it is optional (vtp::tableHas, or VTP_HAS_FIELD and not NULL). */
#define VTP_SECTIONS_V1_SIZE VTP_SIZE_THROUGH(vtp_sections_v1, relation)

#ifdef __cplusplus
}
#endif

#endif
