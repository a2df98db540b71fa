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
 *   FIXTURE_OLD_LAYOUT  descriptor as a 1.0 plugin saw it (struct_size of the 1.0 fields)
 *   FIXTURE_OLD_ROUTE   the route as a 1.4 plugin wrote it: struct_size ends before the 1.5 fields, and
 *                       the bytes after it are garbage the kernel must not read
 *   FIXTURE_OLD_SOCKET  also a socket endpoint /fixture/NAME whose struct_size ends before the 1.3
 *                       on_http field, which holds a function that aborts: the kernel must not read it
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

static int handle(void* user_data, const vtp_request* request, vtp_response* response)
{
    (void)user_data;
    (void)request;
    char out[128];
    snprintf(out, sizeof out, "{\"plugin\":\"%s\",\"abi\":\"%d.%d\"}", FIXTURE_NAME, FIXTURE_MAJOR, FIXTURE_MINOR);
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
    (void)api; (void)host; (void)state;
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
#ifdef FIXTURE_OLD_SOCKET
    {
        vtp_ws_endpoint endpoint;
        int status;
        memset(&endpoint, 0, sizeof endpoint);
        endpoint.struct_size = (uint32_t)(offsetof(vtp_ws_endpoint, max_message_bytes) + sizeof endpoint.max_message_bytes);
        endpoint.path = "/fixture/" FIXTURE_NAME;
        endpoint.on_http = trap_on_http;
        status = api->ws_endpoint_add(host, &endpoint, err);
        if (status != VTP_OK)
            return status;
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

static void destroy(void* state) { (void)state; }

#ifdef FIXTURE_DEP
static const char* const deps[] = {FIXTURE_DEP, NULL};
#else
static const char* const deps[] = {NULL};
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
    NULL, 0,
    NULL, 0,
#ifdef FIXTURE_NO_INIT
    NULL,
#else
    init,
#endif
    NULL,
    NULL,
    destroy,
};

#ifdef FIXTURE_NO_ENTRY
__attribute__((visibility("default"))) const vtp_plugin_descriptor* not_the_entry_point(void) { return &descriptor; }
#else
__attribute__((visibility("default"))) const vtp_plugin_descriptor* vtp_plugin_v1(void) { return &descriptor; }
#endif
