/*
 * One plain-C plugin source compiled many times with different macros, each build breaking
 * the ABI contract in one way (the Vulkan-Loader trick). Plain C on purpose: the ABI must
 * be usable without the C++ SDK.
 *
 *   FIXTURE_NAME        plugin name (and file name)                      required
 *   FIXTURE_MAJOR       ABI major the descriptor claims                  default VTP_ABI_MAJOR
 *   FIXTURE_MINOR       ABI minor the descriptor claims                  default VTP_ABI_MINOR
 *   FIXTURE_NO_ENTRY    export no vtp_plugin_v1 symbol
 *   FIXTURE_NO_INIT     leave the required init callback NULL
 *   FIXTURE_INIT_FAILS  init returns an error with a message
 *   FIXTURE_DEP         name of one dependency
 *   FIXTURE_OPTIONAL_DEP  name of one optional dependency (1.6: start after it if it is enabled)
 *   FIXTURE_UNSIZED_SERVICE  offers a service table whose struct_size is 0, and fails init with the
 *                       kernel's answer
 *   FIXTURE_OLD_LAYOUT  descriptor as a 1.0 plugin saw it (struct_size of the 1.0 fields)
 *   FIXTURE_OLD_ROUTE   the route as a 1.4 plugin wrote it: struct_size ends before the 1.5 fields, and
 *                       the bytes after it are garbage the kernel must not read
 *   FIXTURE_OLD_SOCKET  also a socket endpoint /fixture/NAME whose struct_size ends before the 1.3
 *                       on_http field, which holds a function that aborts: the kernel must not read it
 *   FIXTURE_QUERY       its route declares query parameters (1.7): "state" and a required integer
 *                       "limit"; with FIXTURE_QUERY_NAME the second one is named that instead
 *   FIXTURE_ARRAYS      declares three config keys and two migrations, and its route answers the
 *                       config the kernel validated and the rows the migrations wrote
 *   FIXTURE_KEY_SIZE    with FIXTURE_ARRAYS: the config keys are written at this struct_size, packed
 *                       at that stride (a plugin built when the struct was that size); bytes past
 *                       sizeof(vtp_config_key) are garbage the kernel must not read
 *   FIXTURE_MIGRATION_SIZE  the same for the migrations
 */
#include "vtp/abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_MAJOR
#define FIXTURE_MAJOR VTP_ABI_MAJOR
#endif
#ifndef FIXTURE_MINOR
#define FIXTURE_MINOR VTP_ABI_MINOR
#endif

static const vtp_host_api* g_api;
static vtp_host* g_host;

#ifdef FIXTURE_ARRAYS
/* ,"config":{...},"rows":["one","two"] for the route's answer: what the kernel made of the arrays. */
static void describe_arrays(char* out, size_t cap)
{
    vtp_db_result* result = NULL;
    char errtext[256] = {0};
    vtp_errbuf err = {errtext, sizeof errtext};
    size_t n = (size_t)snprintf(out, cap, ",\"config\":%s,\"rows\":[", g_api->config_json(g_host));
    if (g_api->db_exec(g_host, NULL, "SELECT v FROM fixture_" FIXTURE_NAME " ORDER BY v", NULL, 0, &result, err) == VTP_OK) {
        size_t row;
        for (row = 0; row < g_api->db_result_rows(result) && n < cap; ++row) {
            vtp_sql_value value;
            if (g_api->db_result_value(result, row, 0, &value) == VTP_OK && value.type == VTP_SQL_TEXT)
                n += (size_t)snprintf(out + n, cap - n, "%s\"%.*s\"", row ? "," : "", (int)value.len, value.bytes);
        }
        g_api->db_result_free(result);
    }
    if (n < cap) snprintf(out + n, cap - n, "]");
}
#endif

static int handle(void* user_data, const vtp_request* request, vtp_response* response)
{
    (void)user_data;
    (void)request;
    char out[2048];
    size_t n = (size_t)snprintf(out, sizeof out, "{\"plugin\":\"%s\",\"abi\":\"%d.%d\"", FIXTURE_NAME, FIXTURE_MAJOR, FIXTURE_MINOR);
#ifdef FIXTURE_ARRAYS
    describe_arrays(out + n, sizeof out - n - 1);
#endif
    n = strlen(out);
    snprintf(out + n, sizeof out - n, "}");
    g_api->response_status(response, 200);
    g_api->response_body(response, "application/json", out, strlen(out));
    return VTP_OK;
}

#ifdef FIXTURE_OLD_SOCKET
static void trap_on_http(void* user_data, const vtp_ws_http_request* request)
{
    (void)user_data;
    (void)request;
    abort(); /* beyond the struct_size this plugin declared: never to be called */
}
#endif

static int init(const vtp_host_api* api, vtp_host* host, void** state, vtp_errbuf err)
{
#ifdef FIXTURE_INIT_FAILS
    (void)api;
    (void)host;
    (void)state;
    snprintf(err.data, err.cap, "fixture refuses to initialise on purpose");
    return VTP_ERROR;
#else
    vtp_route route;
    g_api = api;
    g_host = host;
    memset(&route, 0, sizeof route);
    route.struct_size = sizeof route;
    route.method = "GET";
    route.path = "/api/v1/fixture/" FIXTURE_NAME;
    route.role = VTP_ROLE_PUBLIC;
    route.summary = "Says which fixture answered";
    route.handler = handle;
    *state = &g_api;
#ifdef FIXTURE_QUERY
#ifndef FIXTURE_QUERY_NAME
#define FIXTURE_QUERY_NAME "limit"
#endif
    {
        static vtp_query_param query[2];
        memset(query, 0, sizeof query);
        query[0].struct_size = query[1].struct_size = sizeof query[0];
        query[0].name = "state";
        query[0].type = VTP_QUERY_STRING;
        query[0].description = "only items in this state";
        query[1].name = FIXTURE_QUERY_NAME;
        query[1].type = VTP_QUERY_INTEGER;
        query[1].flags = VTP_QUERY_REQUIRED;
        route.query_params = query;
        route.query_param_count = 2;
    }
#endif
#ifdef FIXTURE_UNSIZED_SERVICE
    {
        static const struct {
            uint32_t struct_size;
            void* context;
        } table = {0, NULL};
        int status = api->service_offer(host, "fixture.unsized", 1, &table, err);
        if (status != VTP_OK) return status;
    }
#endif
#ifdef FIXTURE_OLD_SOCKET
    {
        vtp_ws_endpoint endpoint;
        int status;
        memset(&endpoint, 0, sizeof endpoint);
        endpoint.struct_size = (uint32_t)(offsetof(vtp_ws_endpoint, max_message_bytes) + sizeof endpoint.max_message_bytes);
        endpoint.path = "/fixture/" FIXTURE_NAME;
        endpoint.on_http = trap_on_http;
        status = api->ws_endpoint_add(host, &endpoint, err);
        if (status != VTP_OK) return status;
    }
#endif
#ifdef FIXTURE_OLD_ROUTE
    {
        /* A 1.4 route followed by bytes that, read as the 1.5 fields, are a bad status and a wild pointer. */
        static unsigned char bytes[sizeof(vtp_route) + 64];
        const size_t size14 = offsetof(vtp_route, user_data) + sizeof route.user_data;
        memset(bytes, 0xAB, sizeof bytes);
        route.struct_size = (uint32_t)size14;
        memcpy(bytes, &route, size14);
        return api->route_add(host, (const vtp_route*)(const void*)bytes, err);
    }
#else
    return api->route_add(host, &route, err);
#endif
#endif
}

static void destroy(void* state)
{
    (void)state;
}

#ifdef FIXTURE_DEP
static const char* const deps[] = {FIXTURE_DEP, NULL};
#else
static const char* const deps[] = {NULL};
#endif
#ifdef FIXTURE_OPTIONAL_DEP
static const char* const optional_deps[] = {FIXTURE_OPTIONAL_DEP, NULL};
#else
static const char* const optional_deps[] = {NULL};
#endif

#ifdef FIXTURE_ARRAYS
#ifndef FIXTURE_KEY_SIZE
#define FIXTURE_KEY_SIZE sizeof(vtp_config_key)
#endif
#ifndef FIXTURE_MIGRATION_SIZE
#define FIXTURE_MIGRATION_SIZE sizeof(vtp_migration)
#endif
#define FIXTURE_KEY_COUNT       3
#define FIXTURE_MIGRATION_COUNT 2
/* The arrays as a plugin built with other struct sizes lays them out: FIXTURE_KEY_SIZE apart. */
static unsigned char key_bytes[FIXTURE_KEY_COUNT * (FIXTURE_KEY_SIZE)] __attribute__((aligned(8)));
static unsigned char migration_bytes[FIXTURE_MIGRATION_COUNT * (FIXTURE_MIGRATION_SIZE)] __attribute__((aligned(8)));

static void pack(unsigned char* slot, const void* full, size_t full_size, size_t size)
{
    memset(slot, 0xAB, size);
    memcpy(slot, full, size < full_size ? size : full_size);
}

static void fill_arrays(void)
{
    vtp_config_key keys[FIXTURE_KEY_COUNT];
    vtp_migration migrations[FIXTURE_MIGRATION_COUNT];
    int i;
    memset(keys, 0, sizeof keys);
    memset(migrations, 0, sizeof migrations);
    keys[0].key = "greeting";
    keys[0].type = VTP_CONFIG_STRING;
    keys[0].default_value = "\"hello\"";
    keys[0].description = "What the fixture says";
    keys[1].key = "count";
    keys[1].type = VTP_CONFIG_INTEGER;
    keys[1].default_value = "7";
    keys[1].description = "A number with bounds";
    keys[1].flags = VTP_CONFIG_HAS_MIN | VTP_CONFIG_HAS_MAX;
    keys[1].min = 1;
    keys[1].max = 10;
    keys[2].key = "mode";
    keys[2].type = VTP_CONFIG_STRING;
    keys[2].default_value = "\"fast\"";
    keys[2].description = "A choice";
    keys[2].choices = "fast,slow";
    migrations[0].version = 1;
    migrations[0].name = "001_create";
    migrations[0].sql = "CREATE TABLE fixture_" FIXTURE_NAME " (v TEXT NOT NULL)";
    migrations[1].version = 2;
    migrations[1].name = "002_fill";
    migrations[1].sql = "INSERT INTO fixture_" FIXTURE_NAME " (v) VALUES ('one'), ('two')";
    for (i = 0; i < FIXTURE_KEY_COUNT; ++i) {
        keys[i].struct_size = (uint32_t)(FIXTURE_KEY_SIZE);
        pack(key_bytes + (size_t)i * (FIXTURE_KEY_SIZE), &keys[i], sizeof keys[i], FIXTURE_KEY_SIZE);
    }
    for (i = 0; i < FIXTURE_MIGRATION_COUNT; ++i) {
        migrations[i].struct_size = (uint32_t)(FIXTURE_MIGRATION_SIZE);
        pack(migration_bytes + (size_t)i * (FIXTURE_MIGRATION_SIZE), &migrations[i], sizeof migrations[i], FIXTURE_MIGRATION_SIZE);
    }
}
#endif

static const vtp_plugin_descriptor descriptor = {
#ifdef FIXTURE_OLD_LAYOUT
    offsetof(vtp_plugin_descriptor, destroy) + sizeof(void (*)(void*)),
#else
    sizeof(vtp_plugin_descriptor),
#endif
    FIXTURE_MAJOR,
    FIXTURE_MINOR,
    VTP_BUILD_SIGNATURE,
    FIXTURE_NAME,
    "0.0.1",
    "ABI test fixture",
    deps,
#ifdef FIXTURE_ARRAYS
    (const vtp_config_key*)(const void*)key_bytes,
    FIXTURE_KEY_COUNT,
    (const vtp_migration*)(const void*)migration_bytes,
    FIXTURE_MIGRATION_COUNT,
#else
    NULL,
    0,
    NULL,
    0,
#endif
#ifdef FIXTURE_NO_INIT
    NULL,
#else
    init,
#endif
    NULL,
    NULL,
    destroy,
    optional_deps,
};

#ifdef FIXTURE_NO_ENTRY
__attribute__((visibility("default"))) const vtp_plugin_descriptor* not_the_entry_point(void)
{
    return &descriptor;
}
#else
__attribute__((visibility("default"))) const vtp_plugin_descriptor* vtp_plugin_v1(void)
{
#ifdef FIXTURE_ARRAYS
    fill_arrays();
#endif
    return &descriptor;
}
#endif
