/*
 * Service "vtp.auth.directory": who a user is, for plugins that must resolve people by email
 * (a roster imported from CSV) or show them (a roster exported as CSV) without reading the auth
 * plugin's tables. Offered by the auth plugin.
 */
#ifndef VTP_SERVICES_DIRECTORY_H
#define VTP_SERVICES_DIRECTORY_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_DIRECTORY_SERVICE "vtp.auth.directory"
#define VTP_DIRECTORY_VERSION 1u

typedef struct vtp_directory_v1 {
    uint32_t struct_size;
    void* context;
    /* Thread-safe. The id of the account with this email (compared as the auth plugin normalises
     * addresses: trimmed, lower-case), written NUL-terminated to id_out.
     * Returns VTP_OK, VTP_NOT_FOUND (no such account), VTP_INVALID (not an email address, or
     * id_cap too small) or VTP_ERROR. Disabled accounts are found too. */
    int (*lookup_email)(void* context, const char* email, char* id_out, size_t id_cap);
    /* Thread-safe. The email and display name of account `id`, NUL-terminated.
     * Returns VTP_OK, VTP_NOT_FOUND, VTP_INVALID (a buffer too small) or VTP_ERROR. */
    int (*lookup_id)(void* context, const char* id, char* email_out, size_t email_cap, char* name_out, size_t name_cap);
} vtp_directory_v1;

/* The table as version 1 shipped: Host::find refuses a smaller one. */
#define VTP_DIRECTORY_V1_SIZE VTP_SIZE_THROUGH(vtp_directory_v1, lookup_id)

#ifdef __cplusplus
}
#endif

#endif
