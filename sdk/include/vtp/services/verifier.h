/*
 * Service "vtp.auth.verifier": checks a bearer token for the kernel (and for any plugin).
 * Offered by the auth plugin. The kernel looks it up after every plugin's init and uses it to
 * authenticate every non-public HTTP route; plugins with socket endpoints find it with
 * Host::find to authenticate their connections (the kernel cannot parse their protocols).
 */
#ifndef VTP_SERVICES_VERIFIER_H
#define VTP_SERVICES_VERIFIER_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_VERIFIER_SERVICE "vtp.auth.verifier"
#define VTP_VERIFIER_VERSION 1u

typedef struct vtp_verifier_v1 {
    uint32_t struct_size;
    void* context;
    /* Thread-safe. Returns VTP_OK and fills subject (user id) and roles (comma-separated), or
     * another status with a short reason in `reason` (e.g. "token expired"). Never logs the token. */
    int (*verify)(void* context, const char* token, size_t token_len, char* subject, size_t subject_cap, char* roles, size_t roles_cap,
                  char* reason, size_t reason_cap);
    /* since 1.5: optional, read only when struct_size covers it and it is not NULL. */
    /* Thread-safe. As verify, and also the token's session (the login it belongs to; revocation
     * ends it) into session_id, and its expiry (unix seconds) into *expires_at, so that a
     * long-lived connection can end with its session or when its token runs out. */
    int (*verify_session)(void* context, const char* token, size_t token_len, char* subject, size_t subject_cap, char* roles,
                          size_t roles_cap, char* session_id, size_t session_id_cap, int64_t* expires_at, char* reason, size_t reason_cap);
    /* Thread-safe and cheap (no database). 1 if session `session_id` was revoked (logout, a
     * disabled account, a password change, a replayed refresh token), else 0. */
    int (*session_revoked)(void* context, const char* session_id, size_t session_id_len);
} vtp_verifier_v1;

/* The table as version 1 first shipped (verify): Host::find refuses a smaller one. The 1.5 fields
 * after it are optional (vtp::tableHas, or VTP_HAS_FIELD and not NULL). */
#define VTP_VERIFIER_V1_SIZE VTP_SIZE_THROUGH(vtp_verifier_v1, verify)

#ifdef __cplusplus
}
#endif

#endif
