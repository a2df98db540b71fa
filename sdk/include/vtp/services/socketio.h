/*
 * Service "vtp.socketio": Socket.IO namespaces for other plugins, offered by the signalling
 * plugin. A plugin that declares "signalling" as a dependency finds the table in its init() (or
 * later), adds its namespaces ("/poll") and handles their events; the stock socket.io clients
 * connect to them on the same endpoint as the room events, with acknowledgements both ways,
 * binary attachments, rooms and broadcasts.
 *
 * Threading: the callbacks run on the kernel's WebSocket thread, under the signalling plugin's
 * lock: keep them short and never block. Every function of the table is thread-safe and may be
 * called from a callback (the lock is re-entrant) or from any other thread.
 *
 * Arguments travel as JSON text: `args_json` is the JSON array of an event's arguments (without
 * the event name). Binary values are {"_placeholder":true,"num":N} objects in it, N indexing
 * `attachments`, exactly as on the wire.
 */
#ifndef VTP_SERVICES_SOCKETIO_H
#define VTP_SERVICES_SOCKETIO_H

#include "vtp/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_SOCKETIO_SERVICE "vtp.socketio"
#define VTP_SOCKETIO_VERSION 1u

/* Frozen: passed as arrays with a count but no element size. */
typedef struct vtp_sio_binary {
    const char* data;
    size_t len;
} vtp_sio_binary;

/* Who is on the other end; valid during the callback. */
typedef struct vtp_sio_socket {
    uint32_t struct_size;
    const char* nsp;
    const char* id;        /* the Socket.IO socket id */
    const char* user_id;   /* "" on a namespace without authentication */
    const char* roles;     /* comma-separated */
    const char* auth_json; /* the CONNECT auth payload, without the token */
} vtp_sio_socket;

typedef struct vtp_sio_namespace {
    uint32_t struct_size;
    const char* name; /* "/poll": starts with '/', not the signalling plugin's own */
    int require_auth; /* 1: CONNECT must carry {token}, verified by the kernel's verifier */
    void* user_data;
    /* Optional. VTP_OK admits the socket; anything else refuses it with `reason` (CONNECT_ERROR).
     * The socket may already be joined to rooms here; do not emit to it before it is admitted. */
    int (*on_connect)(void* user_data, const vtp_sio_socket* socket, char* reason, size_t reason_cap);
    /* Optional. An event from a client; ack_id >= 0 when the client asked for an acknowledgement
     * (answer it with ack()), -1 otherwise. */
    void (*on_event)(void* user_data, const vtp_sio_socket* socket, const char* event, const char* args_json, size_t args_len,
                     const vtp_sio_binary* attachments, size_t attachment_count, int64_t ack_id);
    /* Optional. The socket is gone (it left, or its connection state recovery ran out). */
    void (*on_disconnect)(void* user_data, const vtp_sio_socket* socket, const char* reason);
} vtp_sio_namespace;

/* An acknowledgement from a client for emit_with_ack; args as in on_event. Called once, or never
 * if the socket goes away first. */
typedef void (*vtp_sio_ack_handler)(void* user_data, const char* args_json, size_t args_len, const vtp_sio_binary* attachments,
                                    size_t attachment_count);

typedef struct vtp_socketio_v1 {
    uint32_t struct_size;
    void* context;
    /* The namespace and its callbacks must stay valid until the calling plugin's stop(). */
    int (*add_namespace)(void* context, const vtp_sio_namespace* ns, vtp_errbuf err);
    /* To one socket. VTP_NOT_FOUND if it is gone. */
    int (*emit)(void* context, const char* nsp, const char* socket_id, const char* event, const char* args_json, size_t args_len,
                const vtp_sio_binary* attachments, size_t attachment_count);
    /* To one socket, which acknowledges it: `on_ack` gets the client's reply. */
    int (*emit_with_ack)(void* context, const char* nsp, const char* socket_id, const char* event, const char* args_json, size_t args_len,
                         vtp_sio_ack_handler on_ack, void* user_data);
    /* To every socket of the namespace in `room` (NULL: every socket of the namespace) except
     * `except_socket_id` (may be NULL). Encoded once. Writes the number reached to *count if given. */
    int (*broadcast)(void* context, const char* nsp, const char* room, const char* event, const char* args_json, size_t args_len,
                     const vtp_sio_binary* attachments, size_t attachment_count, const char* except_socket_id, size_t* count);
    /* Answers an event's acknowledgement (ack_id from on_event). */
    int (*ack)(void* context, const char* nsp, const char* socket_id, int64_t ack_id, const char* args_json, size_t args_len,
               const vtp_sio_binary* attachments, size_t attachment_count);
    int (*join)(void* context, const char* nsp, const char* socket_id, const char* room);
    int (*leave)(void* context, const char* nsp, const char* socket_id, const char* room);
    /* Disconnects the socket from the namespace (DISCONNECT packet). */
    int (*disconnect)(void* context, const char* nsp, const char* socket_id);
} vtp_socketio_v1;

/* The table as version 1 shipped: Host::find refuses a smaller one. */
#define VTP_SOCKETIO_V1_SIZE VTP_SIZE_THROUGH(vtp_socketio_v1, disconnect)

#ifdef __cplusplus
}
#endif

#endif
