/*
 * The VTP plugin ABI: the only contract between vtpd and a plugin library.
 *
 * Plain C, so that a plugin built with another compiler, standard library or Poco still loads.
 * No C++ type and no exception ever crosses it.
 *
 * Versioning rules (see docs/plugin-authors.md):
 *  - A plugin exports exactly one symbol, VTP_PLUGIN_ENTRY_SYMBOL, returning a const descriptor.
 *  - The kernel loads a plugin when the majors are equal and plugin minor <= kernel minor.
 *  - Every struct begins with its own size. Structs and the host table only ever grow at the
 *    end, in blocks marked "since 1.N"; a reader checks the size before touching a newer field
 *    (VTP_HAS_FIELD). Retired entries stay in place as NULL.
 *  - Strings are UTF-8 and NUL-terminated unless a length is given. A pointer handed to a
 *    callback is valid only during that call unless said otherwise.
 *  - Text that one side returns to the other is copied by the receiver; whoever allocates frees.
 *  - No enum type appears in a struct or a function signature: an enum's size is the compiler's
 *    choice (-fshort-enums), so the fields and parameters are int32_t and the enums only name the
 *    values.
 *  - A struct without a leading struct_size (vtp_errbuf, vtp_kv, vtp_sql_value) is frozen: it
 *    travels by value or in arrays whose stride is its size, so it can never grow. A new need gets
 *    a new struct and new host entries.
 *  - Arrays of structs that do begin with struct_size (config keys, migrations) are stepped by each
 *    element's own struct_size, so a plugin built before such a struct grew still loads.
 */
#ifndef VTP_ABI_H
#define VTP_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VTP_ABI_MAJOR 1
#define VTP_ABI_MINOR 7

/* Pointer size and byte order, so a 32-bit or big-endian build is refused by name. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define VTP_BUILD_BIG_ENDIAN 1u
#else
#define VTP_BUILD_BIG_ENDIAN 0u
#endif
#define VTP_BUILD_SIGNATURE ((uint32_t)(sizeof(void*) * 8u) | (VTP_BUILD_BIG_ENDIAN << 8))

#define VTP_PLUGIN_ENTRY_SYMBOL "vtp_plugin_v1"

/* True if a struct whose leading struct_size is `size` contains `field` of type `type`. */
#define VTP_HAS_FIELD(type, field, size) (offsetof(type, field) + sizeof(((type*)0)->field) <= (size_t)(size))
/* The size of `type` up to and including `field`: a struct's size as a version ending there shipped. */
#define VTP_SIZE_THROUGH(type, field) (offsetof(type, field) + sizeof(((type*)0)->field))

typedef enum vtp_status {
    VTP_OK = 0,
    VTP_ERROR = 1,       /* generic failure, text in the error buffer */
    VTP_INVALID = 2,     /* invalid argument */
    VTP_NOT_FOUND = 3,   /* no such service, connection, key */
    VTP_UNSUPPORTED = 4, /* the other side is too old for this call */
    VTP_CONFLICT = 5,    /* e.g. a route or service registered twice, constraint violation */
    VTP_NO_MEMORY = 6
} vtp_status;

typedef enum vtp_log_level { VTP_LOG_TRACE = 0, VTP_LOG_DEBUG = 1, VTP_LOG_INFO = 2, VTP_LOG_WARN = 3, VTP_LOG_ERROR = 4 } vtp_log_level;

/* A caller-owned buffer for error text; the callee writes at most cap-1 bytes and a NUL.
 * Frozen: passed by value in the host table's and callbacks' signatures, so its size is part of
 * every one of them. */
typedef struct vtp_errbuf {
    char* data;
    size_t cap;
} vtp_errbuf;

/* Frozen: passed as arrays with a count but no element size (headers, labels, log fields). */
typedef struct vtp_kv {
    const char* key;
    const char* value;
} vtp_kv;

/* Opaque per-plugin handle the kernel passes at init; every host call takes it. */
typedef struct vtp_host vtp_host;
/* Opaque response under construction, valid during a route handler call. */
typedef struct vtp_response vtp_response;
/* Opaque result of a SQL statement; freed with db_result_free. */
typedef struct vtp_db_result vtp_db_result;
/* Opaque database transaction (one pooled connection). */
typedef struct vtp_db_tx vtp_db_tx;

/* ---------------------------------------------------------------- config schema */

typedef enum vtp_config_type {
    VTP_CONFIG_STRING = 0,
    VTP_CONFIG_INTEGER = 1,
    VTP_CONFIG_FLOAT = 2,
    VTP_CONFIG_BOOLEAN = 3,
    VTP_CONFIG_STRING_ARRAY = 4
} vtp_config_type;

#define VTP_CONFIG_REQUIRED 0x1u
#define VTP_CONFIG_SECRET   0x2u /* masked in printed config, never logged */
#define VTP_CONFIG_HAS_MIN  0x4u
#define VTP_CONFIG_HAS_MAX  0x8u

typedef struct vtp_config_key {
    uint32_t struct_size;
    const char* key;           /* dotted, relative to [plugins.NAME]: "greeting", "smtp.host" */
    int32_t type;              /* a vtp_config_type */
    const char* default_value; /* TOML literal ("\"hi\"", "8", "true", "[\"a\"]"), or NULL */
    const char* description;   /* one line; the operators' reference is generated from it */
    uint32_t flags;
    int64_t min; /* integer value or string length bounds, with HAS_MIN/HAS_MAX */
    int64_t max;
    const char* choices; /* comma-separated allowed string values, or NULL */
} vtp_config_key;

/* ---------------------------------------------------------------- migrations */

typedef struct vtp_migration {
    uint32_t struct_size;
    int64_t version;            /* strictly increasing within the plugin */
    const char* name;           /* e.g. "001_create_greetings" */
    const char* sql;            /* portable script, used when no dialect-specific one is given */
    const char* sql_sqlite;     /* optional */
    const char* sql_postgresql; /* optional */
} vtp_migration;

/* ---------------------------------------------------------------- HTTP routes */

typedef struct vtp_request {
    uint32_t struct_size;
    const char* method;
    const char* path; /* decoded path, no query */
    const char* request_id;
    const char* remote_address;
    const char* subject; /* authenticated user id, or NULL on a public route without a token */
    const char* const* roles;
    size_t role_count;
    const vtp_kv* params;
    size_t param_count; /* path parameters from {name} segments */
    const vtp_kv* query;
    size_t query_count; /* decoded query parameters, in order */
    const vtp_kv* headers;
    size_t header_count; /* lower-case names */
    const char* body;
    size_t body_len;          /* complete body, already size-checked */
    const char* content_type; /* media type without parameters, lower-case, or "" */

    /* since 1.6: on a VTP_ROUTE_BODY_STREAM route (NULL and 0 elsewhere) */
    void* body_stream;   /* what body_begin set; the handler owns it from now on */
    uint64_t body_bytes; /* body bytes taken by body_data */
} vtp_request;

/* Returns VTP_OK having filled `response`; anything else becomes a 500 problem. */
typedef int (*vtp_route_handler)(void* user_data, const vtp_request* request, vtp_response* response);

#define VTP_ROLE_PUBLIC        "public"
#define VTP_ROLE_AUTHENTICATED "authenticated"

#define VTP_ROUTE_BODY_NONE 0u /* a body is refused with 413 */
#define VTP_ROUTE_BODY_JSON 1u /* requires application/json, parsed by the kernel: 400/411/415 */
#define VTP_ROUTE_BODY_RAW  2u /* any content type, passed as bytes */
/* since 1.6: any content type, handed over in pieces as it arrives (body_begin, body_data, then
 * the handler or body_abort), never held whole; Content-Length or chunked, up to max_body_bytes. */
#define VTP_ROUTE_BODY_STREAM 3u

/* Why a streamed body ended without reaching the handler (since 1.6). */
#define VTP_BODY_ABORT_DISCONNECTED 1u /* the client went away mid-body */
#define VTP_BODY_ABORT_TIMEOUT      2u /* no byte for http.request_timeout_seconds (answered 408) */
#define VTP_BODY_ABORT_TOO_LARGE    3u /* a chunked body passed max_body_bytes (answered 413) */
#define VTP_BODY_ABORT_MALFORMED    4u /* broken chunked framing (answered 400) */
#define VTP_BODY_ABORT_SHUTDOWN     5u /* the server stopped before the body ended */

typedef struct vtp_route {
    uint32_t struct_size;
    const char* method;          /* GET, POST, PUT, PATCH, DELETE; OPTIONS since 1.6 (never a CORS preflight) */
    const char* path;            /* "/api/v1/hello/{name}"; a parameter matches one segment */
    const char* role;            /* VTP_ROLE_PUBLIC, VTP_ROLE_AUTHENTICATED, or a role name */
    const char* summary;         /* one line, for the API description */
    uint32_t body;               /* VTP_ROUTE_BODY_* */
    size_t max_body_bytes;       /* 0: the kernel's http.max_body_bytes */
    const char* request_schema;  /* JSON Schema text or NULL */
    const char* response_schema; /* JSON Schema text or NULL */
    vtp_route_handler handler;
    void* user_data;

    /* since 1.5: what the API description promises, and what the access log must not show */
    uint32_t success_status; /* 0: 200. The status a successful call answers: 201, 202, 204, ... */
    /* NULL, or the problems the handler itself can answer, as "STATUS type" entries separated by
     * ',' ("404 not-found,409 email-taken"); the kernel adds the ones it answers itself (400, 401,
     * 403, 413, 415, 429, ...). For the API description; a handler is not limited to them. */
    const char* errors;
    /* NULL, or names of path parameters and query arguments separated by ',' ("token") whose
     * values are credentials: the access log and error logs show them masked. */
    const char* secret_params;
    /* NULL: the kernel's default (no-store on every response that needs a token); otherwise the
     * Cache-Control value for this route's successful responses ("public, max-age=300"). */
    const char* cache_control;

    /* since 1.6: streamed request bodies, required when body is VTP_ROUTE_BODY_STREAM (ignored
     * otherwise). The kernel routes, authenticates and authorises first (an unauthorised upload is
     * refused before a byte of its body is read), then calls body_begin. For one request the calls
     * never overlap; they run on the kernel's HTTP workers, which no call may block for long (a
     * write and an occasional fsync to a local disk are fine). Between pieces no thread waits for
     * the client. After body_begin has set a stream, exactly one of these follows: the handler
     * (request->body_stream set: the whole body arrived, or body_data refused the rest, when the
     * connection closes after the answer) or body_abort. `request` stays valid until then. */
    /* VTP_OK having set *stream: the body is read. VTP_OK with *stream left NULL: `response` (a
     * refusal the callee set) is answered without reading the body. Anything else: a 500. */
    int (*body_begin)(void* user_data, const vtp_request* request, vtp_response* response, void** stream);
    /* The next piece of the body (len > 0, chunk framing removed). Non-OK: read no more. */
    int (*body_data)(void* user_data, void* stream, const char* data, size_t len);
    /* The body will not be finished (VTP_BODY_ABORT_*): free the stream. No response is possible. */
    void (*body_abort)(void* user_data, void* stream, uint32_t reason);
    uint32_t flags;              /* since 1.6: VTP_ROUTE_* flags below */
    const struct vtp_cors* cors; /* since 1.6: NULL: the plugin's default (cors_default), else no CORS */

    /* since 1.7: the query parameters the handler reads, for the API description (the kernel
     * neither requires nor refuses any). NULL with count 0: none. Elements share one struct_size. */
    const struct vtp_query_param* query_params;
    size_t query_param_count;
} vtp_route;

/* vtp_query_param.type (since 1.7) */
#define VTP_QUERY_STRING  0u
#define VTP_QUERY_INTEGER 1u
#define VTP_QUERY_BOOLEAN 2u
/* vtp_query_param.flags (since 1.7) */
#define VTP_QUERY_REQUIRED 0x1u

/* One query parameter of a route (since 1.7): "?limit=20" is {"limit", VTP_QUERY_INTEGER, ...}. */
typedef struct vtp_query_param {
    uint32_t struct_size;
    uint32_t type;           /* VTP_QUERY_* */
    const char* name;        /* [A-Za-z0-9_.-]+, unique within the route */
    const char* description; /* one line, or NULL */
    uint32_t flags;          /* VTP_QUERY_REQUIRED */
} vtp_query_param;

/* vtp_route.flags (since 1.6) */
#define VTP_ROUTE_FILE 0x1u /* answers with response_file: the API description lists 206, 304, 412, 416 and any media type */

/* Which other origins' pages may call a route (since 1.6): the kernel answers preflights (OPTIONS with
 * Access-Control-Request-Method) and adds Access-Control-Allow-Origin to the answers. Lists are
 * separated by ','. */
#define VTP_CORS_OFF         0x1u /* no CORS on this route, whatever the plugin's default */
#define VTP_CORS_CREDENTIALS 0x2u /* Access-Control-Allow-Credentials: true; never with origins "*" */
typedef struct vtp_cors {
    uint32_t struct_size;
    uint32_t flags;             /* VTP_CORS_* */
    const char* origins;        /* "*" (any), or "https://app.example,https://b.example"; NULL or "": the operator's http.cors_origins */
    const char* methods;        /* NULL: the route's own; else the methods callable across origins ("GET,POST") */
    const char* headers;        /* request headers a page may send besides the safelisted ("authorization,content-type"), "*": any */
    const char* expose_headers; /* response headers a page may read besides the safelisted ("etag,content-range") */
    int64_t max_age_seconds;    /* how long a browser may reuse a preflight; 0: 600, at most 86400 */
} vtp_cors;

/* A file as a response body (since 1.6), for response_file. */
#define VTP_FILE_TO_END UINT64_MAX
typedef struct vtp_file_body {
    uint32_t struct_size;
    const char* path;         /* a regular file; the kernel opens it during the call */
    const char* content_type; /* its Content-Type */
    uint64_t offset;          /* the response is the file's bytes [offset, offset + length) */
    uint64_t length;          /* VTP_FILE_TO_END: up to the end of the file as it is when opened */
} vtp_file_body;

/* ---------------------------------------------------------------- WebSocket endpoints */

typedef struct vtp_ws_open_info {
    uint32_t struct_size;
    uint64_t connection;
    const char* path;
    const char* query;
    const char* remote_address;
    const vtp_kv* headers;
    size_t header_count; /* lower-case names */
} vtp_ws_open_info;

/* A plain HTTP request on a socket endpoint's path (since 1.3). Valid during on_http only. */
typedef struct vtp_ws_http_request {
    uint32_t struct_size;
    uint64_t request;   /* id for ws_http_respond */
    const char* method; /* "GET", "POST", "OPTIONS", ... */
    const char* path;
    const char* query;          /* raw, without '?' */
    const char* remote_address; /* resolved like HTTP's (see http.trusted_proxies), else the peer */
    const vtp_kv* headers;
    size_t header_count; /* lower-case names */
    const char* body;
    size_t body_len; /* complete body, within the endpoint's max_message_bytes */
} vtp_ws_http_request;

/* Callbacks run on the kernel's WebSocket thread and must not block. */
typedef struct vtp_ws_endpoint {
    uint32_t struct_size;
    const char* path;
    void (*on_open)(void* user_data, const vtp_ws_open_info* info);
    void (*on_message)(void* user_data, uint64_t connection, const char* data, size_t len, int binary);
    void (*on_close)(void* user_data, uint64_t connection, int close_code);
    void* user_data;
    size_t max_message_bytes; /* 0: the kernel's websocket.max_message_bytes */

    /* since 1.3 */
    /* A request on the path without the WebSocket upgrade (e.g. Socket.IO long-polling). Answer it
     * with ws_http_respond, now or later from any thread. */
    void (*on_http)(void* user_data,
                    const vtp_ws_http_request* request); /* optional: without it, plain HTTP on the path answers 426 as before */
} vtp_ws_endpoint;

/* ---------------------------------------------------------------- SQL */

typedef enum vtp_sql_type { VTP_SQL_NULL = 0, VTP_SQL_INT = 1, VTP_SQL_REAL = 2, VTP_SQL_TEXT = 3, VTP_SQL_BLOB = 4 } vtp_sql_type;

/* Frozen: passed as arrays without an element size (db_exec's parameters) and filled by the
 * kernel at the caller's size (db_result_value), so it can never grow. */
typedef struct vtp_sql_value {
    int32_t type; /* a vtp_sql_type */
    int64_t i;
    double r;
    const char* bytes; /* TEXT (not necessarily NUL-terminated) or BLOB */
    size_t len;
} vtp_sql_value;

typedef enum vtp_sql_dialect { VTP_SQL_SQLITE = 0, VTP_SQL_POSTGRESQL = 1 } vtp_sql_dialect;

/* ---------------------------------------------------------------- command line (vtpctl) */

typedef struct vtp_cli_command {
    uint32_t struct_size;
    const char* name; /* "user create": words become nested subcommands */
    const char* summary;
    const char* usage; /* e.g. "--email E --role R" */
    /* Runs in vtpctl with argv = the words after the command; writes to stdout/stderr itself.
     * Returns the process exit code. */
    int (*run)(void* user_data, int argc, const char* const* argv);
    void* user_data;
} vtp_cli_command;

/* ---------------------------------------------------------------- events (since 1.2) */

/* Called on the event bus's delivery thread for this subscription, never on the publisher's.
 * `origin_node` names the vtpd node that published it (this node's id for local events). */
typedef void (*vtp_event_handler)(void* user_data, const char* name, const char* payload_json, size_t payload_len, const char* origin_node);

/* ---------------------------------------------------------------- jobs (since 1.2) */

/* Opaque handle a job runner reports through; valid during the runner call. */
typedef struct vtp_job vtp_job;

/* Runs one attempt of a job on a kernel worker thread. Returns VTP_OK (the job succeeded;
 * its result is what job_result set), or an error: the job is retried with backoff while
 * attempts remain, then failed with the text in `err`. It should check job_cancelled() often
 * and return promptly when it is set. */
typedef int (*vtp_job_runner)(void* user_data, vtp_job* job, const char* params_json, size_t params_len, vtp_errbuf err);

typedef struct vtp_job_kind {
    uint32_t struct_size;
    const char* kind; /* "courses.timetable": unique, prefixed with the plugin's name */
    const char* summary;
    uint32_t max_attempts; /* 0: the kernel's default */
    vtp_job_runner run;
    void* user_data;
    /* since 1.7: VTP_JOB_* bits */
    uint32_t flags;
} vtp_job_kind;

/* vtp_job_kind.flags (since 1.7). A long-running kind's job lasts as long as something outside
 * it does (a live class being uploaded): the kernel runs each such job on a thread of its own,
 * up to jobs.long_running_max at once, never on one of the jobs.workers threads, so that it
 * cannot starve the short jobs. An older kernel ignores the flag. */
#define VTP_JOB_LONG_RUNNING 0x1u

/* ---------------------------------------------------------------- metrics (since 1.2) */

typedef enum vtp_metric_type { VTP_METRIC_GAUGE = 0, VTP_METRIC_COUNTER = 1 } vtp_metric_type;

/* ---------------------------------------------------------------- cluster channels (since 1.6) */

/* A message another vtpd node sent on a cluster channel. Called on this subscription's own
 * delivery thread (as for events); `data` is the sender's bytes, `from_node` its cluster id
 * (never this node's). */
typedef void (*vtp_cluster_handler)(void* user_data, const char* channel, const char* data, size_t len, const char* from_node);
/* Called by cluster_peers once per other node, during that call. */
typedef void (*vtp_cluster_peer_fn)(void* user_data, const char* node);

/* ---------------------------------------------------------------- the host table */

typedef struct vtp_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /* since 1.0 */
    /* level: a vtp_log_level */
    void (*log)(vtp_host* host, int32_t level, const char* message, size_t len, const vtp_kv* fields, size_t field_count);
    int (*log_enabled)(vtp_host* host, int32_t level);

    /* The plugin's validated [plugins.NAME] table as a JSON object, defaults applied.
     * Valid until the plugin is destroyed. */
    const char* (*config_json)(vtp_host* host);
    /* The kernel's storage.data_dir; a plugin keeps its files under DATA_DIR/NAME. */
    const char* (*data_dir)(vtp_host* host);

    int (*route_add)(vtp_host* host, const vtp_route* route, vtp_errbuf err);
    void (*response_status)(vtp_response* response, int status);
    void (*response_header)(vtp_response* response, const char* name, const char* value);
    void (*response_body)(vtp_response* response, const char* content_type, const char* body, size_t len);
    /* An RFC 9457 problem: type is a short slug the kernel turns into a URI. */
    void (*response_problem)(vtp_response* response, int status, const char* type, const char* title, const char* detail);

    /* Services: a named, versioned C struct of functions one plugin offers to others.
     * The table must stay valid until the offering plugin is destroyed. It begins with its
     * uint32_t struct_size (VTP_INVALID if that is 0); version N+1's table is version N's with
     * fields appended, so a reader of N can use it; a reader checks struct_size before touching a
     * field its version does not guarantee. */
    int (*service_offer)(vtp_host* host, const char* name, uint32_t version, const void* table, vtp_errbuf err);
    /* The newest offered version >= min_version, or NULL. Only a plugin that declared the
     * offering plugin as a dependency may rely on it being started. */
    const void* (*service_find)(vtp_host* host, const char* name, uint32_t min_version, uint32_t* version);

    int32_t (*db_dialect)(vtp_host* host); /* a vtp_sql_dialect */
    /* Portable SQL with `?` placeholders. tx may be NULL (autocommit on a pooled connection).
     * On success *result is set (free it with db_result_free), even for statements without rows.
     * A constraint violation returns VTP_CONFLICT. */
    int (*db_exec)(vtp_host* host, vtp_db_tx* tx, const char* sql, const vtp_sql_value* params, size_t param_count, vtp_db_result** result,
                   vtp_errbuf err);
    int (*db_begin)(vtp_host* host, vtp_db_tx** tx, vtp_errbuf err);
    int (*db_commit)(vtp_host* host, vtp_db_tx* tx, vtp_errbuf err); /* frees tx */
    void (*db_rollback)(vtp_host* host, vtp_db_tx* tx);              /* frees tx */
    size_t (*db_result_columns)(const vtp_db_result* result);
    const char* (*db_result_column_name)(const vtp_db_result* result, size_t column);
    size_t (*db_result_rows)(const vtp_db_result* result);
    /* Pointers in *value stay valid until db_result_free. */
    int (*db_result_value)(const vtp_db_result* result, size_t row, size_t column, vtp_sql_value* value);
    int64_t (*db_result_affected)(const vtp_db_result* result);
    void (*db_result_free)(vtp_db_result* result);

    /* since 1.1: WebSocket endpoints and vtpctl subcommands */
    int (*ws_endpoint_add)(vtp_host* host, const vtp_ws_endpoint* endpoint, vtp_errbuf err);
    /* Thread-safe. VTP_NOT_FOUND if the connection is gone; a full send queue closes it. */
    int (*ws_send)(vtp_host* host, uint64_t connection, const char* data, size_t len, int binary);
    int (*ws_close)(vtp_host* host, uint64_t connection, int code, const char* reason);

    int (*cli_command_add)(vtp_host* host, const vtp_cli_command* command, vtp_errbuf err);

    /* since 1.2: events, jobs, metrics */
    /* Publishes asynchronously; returns at once. Names are dotted lower-case ("user.registered"),
     * the payload a JSON object. VTP_CONFLICT if the bus dropped it (queue full). */
    int (*event_publish)(vtp_host* host, const char* name, const char* payload_json, size_t len, vtp_errbuf err);
    /* pattern: an exact name, a prefix ending in ".*" ("user.*"), or "*". Each subscription has
     * its own bounded queue and delivery thread. Subscribe during init. */
    int (*event_subscribe)(vtp_host* host, const char* pattern, vtp_event_handler handler, void* user_data, vtp_errbuf err);

    int (*job_kind_add)(vtp_host* host, const vtp_job_kind* kind, vtp_errbuf err);
    /* Queues a job; `owner` is the user it belongs to (may be NULL). Writes its id (a UUID). */
    int (*job_submit)(vtp_host* host, const char* kind, const char* params_json, size_t len, const char* owner, char* id_out, size_t id_cap,
                      vtp_errbuf err);
    void (*job_progress)(vtp_job* job, double fraction, const char* message);
    int (*job_cancelled)(vtp_job* job);
    void (*job_result)(vtp_job* job, const char* result_json, size_t len);

    /* A metric shown on /metrics as vtp_plugin_<plugin>_<name>. Returns an id >= 0, or -1. */
    int64_t (*metric_add)(vtp_host* host, const char* name, const char* help, int32_t type /* a vtp_metric_type */, vtp_errbuf err);
    /* Sets a gauge or adds to a counter, for one label set (labels may be NULL). Thread-safe. */
    void (*metric_set)(vtp_host* host, int64_t metric, const vtp_kv* labels, size_t label_count, double value);
    void (*metric_inc)(vtp_host* host, int64_t metric, const vtp_kv* labels, size_t label_count, double delta);

    /* since 1.3: plain HTTP on socket endpoints */
    /* Answers a request on_http received: status 200..599, the plugin's headers (a header whose name or
     * value holds CR or LF is dropped; Content-Length, Transfer-Encoding and Connection are the kernel's)
     * and the body. VTP_INVALID for another status (the request stays unanswered). */
    int (*ws_http_respond)(
        vtp_host* host, uint64_t request, int status, const vtp_kv* headers, size_t header_count, const char* body,
        size_t
            len); /* thread-safe, exactly once per request; VTP_NOT_FOUND if the client has gone (or the kernel already answered it on timeout) */

    /* since 1.4: broadcasts on socket endpoints */
    /* Thread-safe. One message to each of `count` connections, as ws_send would send it to each (a
     * connection that is gone or closing is skipped; a full send queue closes that one), but copied
     * once and with one lookup pass: a room's broadcast. *sent (may be NULL) gets how many took it.
     * VTP_INVALID if count > 0 and connections is NULL. */
    int (*ws_send_many)(vtp_host* host, const uint64_t* connections, size_t count, const char* data, size_t len, int binary, size_t* sent);

    /* since 1.6: deferred responses */
    /* Called in a route handler (not in body_begin): the answer comes later, from any thread, through
     * response_complete, and no kernel thread waits for it. The handler returns VTP_OK at once; what it
     * leaves in `response` (a status, body or problem) is the answer should timeout_ms (1 to 3600000) pass
     * first, and without one that is a 504 `response-timeout` problem. A client that disconnects meanwhile
     * is noticed: its id is dropped. Returns the id, or 0 if this response cannot be deferred (outside a
     * route handler, twice, or a timeout out of range). */
    uint64_t (*response_defer)(vtp_response* response, uint32_t timeout_ms);
    /* Thread-safe. Calls fill(ctx, r) once, on this thread, to fill a fresh response with response_status,
     * response_header, response_body and response_problem; the kernel then sends it. VTP_NOT_FOUND (fill not
     * called) if the id timed out, its client left, or it was completed already: completing late is safe. */
    int (*response_complete)(vtp_host* host, uint64_t id, void (*fill)(void* ctx, vtp_response* response), void* ctx);

    /* since 1.6: cluster channels, node-to-node messages over Redis that no event subscriber or
     * webhook sees. Without redis.url there is no other node: nothing is ever sent or received. */
    /* This process's id on the channels (node.id, "/", a per-start suffix: a restarted node is a
     * new one). Valid until the plugin is destroyed. */
    const char* (*cluster_node_id)(vtp_host* host);
    /* Sends `data` (any bytes) to every other node's subscriptions of `channel` (a name as for
     * events, e.g. "signalling.sync"). Thread-safe; never blocks. VTP_OK: queued for the other
     * nodes; VTP_NOT_FOUND: there is no other node, nothing was sent; VTP_CONFLICT: the send queue
     * was full, dropped; VTP_INVALID: a bad name or more than 1 MiB. */
    int (*cluster_send)(vtp_host* host, const char* channel, const char* data, size_t len, vtp_errbuf err);
    /* channel: an exact name, a prefix ending in ".*", or "*". Each subscription has its own
     * bounded queue and delivery thread. Subscribe during init. */
    int (*cluster_subscribe)(vtp_host* host, const char* channel, vtp_cluster_handler handler, void* user_data, vtp_errbuf err);
    /* Calls each(user_data, id) (each may be NULL) for every other node believed alive now, and
     * returns how many there are. Thread-safe. */
    size_t (*cluster_peers)(vtp_host* host, vtp_cluster_peer_fn each, void* user_data);

    /* since 1.6: file responses */
    /* The response's body is a file (or part of it), opened now and sent by the kernel with sendfile(2)
     * without blocking a thread on a slow client. On a 200 the kernel adds ETag (strong, from inode, mtime,
     * offset and length) and Last-Modified unless the handler set its own, Accept-Ranges: bytes, and answers
     * HEAD, Range (one range: 206; several: the whole file; none satisfiable: 416) and the conditional
     * headers (304, 412) itself. The status stays what response_status set (200 by default); Cache-Control
     * is the handler's header or the route's cache_control. Also for a deferred answer's fill. VTP_NOT_FOUND:
     * no such file; VTP_INVALID: not a regular file, or the part lies past its end; VTP_ERROR: cannot open
     * it. On failure, err says why and the response is unchanged. */
    int (*response_file)(vtp_response* response, const vtp_file_body* file, vtp_errbuf err);
    /* The CORS policy of this plugin's routes that declare none (vtp_route.cors NULL), those added
     * before included; may be called again to replace it. VTP_INVALID (err says why) for a malformed one. */
    int (*cors_default)(vtp_host* host, const vtp_cors* cors, vtp_errbuf err);

    /* since 1.7 */
    /* 1 when the kernel is stopping and takes a long-running job (VTP_JOB_LONG_RUNNING) back:
     * job_cancelled is 1 too, the runner returns promptly, and whatever it returns the attempt is
     * not counted: the job is queued again, for another node now or this one's next start. */
    int (*job_interrupted)(vtp_job* job);
} vtp_host_api;

/* ---------------------------------------------------------------- the plugin descriptor */

typedef struct vtp_plugin_descriptor {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t build_signature; /* VTP_BUILD_SIGNATURE */

    /* since 1.0 */
    const char* name;    /* [a-z][a-z0-9_]*, unique, the config table's name */
    const char* version; /* the plugin's own version, e.g. "1.2.0" */
    const char* description;
    const char* const* dependencies; /* NULL-terminated names of plugins this one needs started first */
    const vtp_config_key* config_keys;
    size_t config_key_count;
    const vtp_migration* migrations;
    size_t migration_count;

    /* Required. Called once; register routes, endpoints, services and commands here.
     * Sets *state to the plugin's own object. Non-OK: the plugin is refused (destroy is not called). */
    int (*init)(const vtp_host_api* api, vtp_host* host, void** state, vtp_errbuf err);
    /* Optional. Called after every plugin's init, in dependency order, before serving. */
    int (*start)(void* state, vtp_errbuf err);
    /* Optional. Called in reverse order at shutdown; must return within the drain deadline. */
    void (*stop)(void* state);
    /* Required. Frees state; called after stop, or after a failed start. */
    void (*destroy)(void* state);

    /* since 1.6 */
    /* NULL-terminated names of plugins this one uses when they are enabled (a service it finds
     * if offered): start after them if they are enabled and not refused, without them otherwise.
     * A cycle through them is refused like one through dependencies. May be NULL. */
    const char* const* optional_dependencies;
} vtp_plugin_descriptor;

typedef const vtp_plugin_descriptor* (*vtp_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* VTP_ABI_H */
