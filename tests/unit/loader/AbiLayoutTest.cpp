// The layout of every struct that crosses the plugin boundary, as ABI 1.6 ships it on 64-bit
// little-endian builds: a plugin built then must still load, so no field may move. Structs may grow
// at the end (a later minor's fields are added here when it ships); the frozen ones (no
// struct_size) may not even do that. The 1.6 fields are checked apart, after the 1.5 ones;
// 1.7 is still open, so no growable struct's total size is pinned.
// Fails to compile when a field moves, changes size, or an enum-typed field comes back.
#include "vtp/abi.h"
#include "vtp/services/directory.h"
#include "vtp/services/room_events.h"
#include "vtp/services/room_provider.h"
#include "vtp/services/sections.h"
#include "vtp/services/sessions.h"
#include "vtp/services/socketio.h"
#include "vtp/services/verifier.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if UINTPTR_MAX == 0xffffffffffffffffu

// The fields that were enums until 1.5 are 32-bit integers of the same size and values.
static_assert(std::is_same_v<decltype(vtp_config_key::type), int32_t>);
static_assert(std::is_same_v<decltype(vtp_sql_value::type), int32_t>);
static_assert(VTP_CONFIG_STRING_ARRAY == 4 && VTP_SQL_BLOB == 4 && VTP_SQL_POSTGRESQL == 1 && VTP_LOG_ERROR == 4 &&
              VTP_METRIC_COUNTER == 1);

static_assert(sizeof(vtp_errbuf) == 16);
static_assert(offsetof(vtp_errbuf, data) == 0 && offsetof(vtp_errbuf, cap) == 8);
static_assert(sizeof(vtp_kv) == 16);
static_assert(offsetof(vtp_kv, key) == 0 && offsetof(vtp_kv, value) == 8);
static_assert(offsetof(vtp_config_key, struct_size) == 0 && offsetof(vtp_config_key, key) == 8 && offsetof(vtp_config_key, type) == 16 &&
              offsetof(vtp_config_key, default_value) == 24 && offsetof(vtp_config_key, description) == 32 &&
              offsetof(vtp_config_key, flags) == 40 && offsetof(vtp_config_key, min) == 48 && offsetof(vtp_config_key, max) == 56 &&
              offsetof(vtp_config_key, choices) == 64);
static_assert(offsetof(vtp_migration, struct_size) == 0 && offsetof(vtp_migration, version) == 8 && offsetof(vtp_migration, name) == 16 &&
              offsetof(vtp_migration, sql) == 24 && offsetof(vtp_migration, sql_sqlite) == 32 &&
              offsetof(vtp_migration, sql_postgresql) == 40);
static_assert(offsetof(vtp_request, struct_size) == 0 && offsetof(vtp_request, method) == 8 && offsetof(vtp_request, path) == 16 &&
              offsetof(vtp_request, request_id) == 24 && offsetof(vtp_request, remote_address) == 32 &&
              offsetof(vtp_request, subject) == 40 && offsetof(vtp_request, roles) == 48 && offsetof(vtp_request, role_count) == 56 &&
              offsetof(vtp_request, params) == 64 && offsetof(vtp_request, param_count) == 72 && offsetof(vtp_request, query) == 80 &&
              offsetof(vtp_request, query_count) == 88 && offsetof(vtp_request, headers) == 96 &&
              offsetof(vtp_request, header_count) == 104 && offsetof(vtp_request, body) == 112 && offsetof(vtp_request, body_len) == 120 &&
              offsetof(vtp_request, content_type) == 128);
static_assert(offsetof(vtp_request, body_stream) == 136 && // since 1.6
              offsetof(vtp_request, body_bytes) == 144);
static_assert(offsetof(vtp_route, struct_size) == 0 && offsetof(vtp_route, method) == 8 && offsetof(vtp_route, path) == 16 &&
              offsetof(vtp_route, role) == 24 && offsetof(vtp_route, summary) == 32 && offsetof(vtp_route, body) == 40 &&
              offsetof(vtp_route, max_body_bytes) == 48 && offsetof(vtp_route, request_schema) == 56 &&
              offsetof(vtp_route, response_schema) == 64 && offsetof(vtp_route, handler) == 72 && offsetof(vtp_route, user_data) == 80 &&
              offsetof(vtp_route, success_status) == 88 && offsetof(vtp_route, errors) == 96 && offsetof(vtp_route, secret_params) == 104 &&
              offsetof(vtp_route, cache_control) == 112);
static_assert(offsetof(vtp_route, body_begin) == 120 && // since 1.6
              offsetof(vtp_route, body_data) == 128 && offsetof(vtp_route, body_abort) == 136 && offsetof(vtp_route, flags) == 144 &&
              offsetof(vtp_route, cors) == 152);
static_assert(offsetof(vtp_route, query_params) == 160 && // since 1.7
              offsetof(vtp_route, query_param_count) == 168 && sizeof(vtp_route) == 176);
static_assert(offsetof(vtp_query_param, struct_size) == 0 && // since 1.7
              offsetof(vtp_query_param, type) == 4 && offsetof(vtp_query_param, name) == 8 &&
              offsetof(vtp_query_param, description) == 16 && offsetof(vtp_query_param, flags) == 24 && sizeof(vtp_query_param) == 32);
static_assert(offsetof(vtp_file_body, struct_size) == 0 && // since 1.6
              offsetof(vtp_file_body, path) == 8 && offsetof(vtp_file_body, content_type) == 16 && offsetof(vtp_file_body, offset) == 24 &&
              offsetof(vtp_file_body, length) == 32);
static_assert(offsetof(vtp_cors, struct_size) == 0 && // since 1.6
              offsetof(vtp_cors, flags) == 4 && offsetof(vtp_cors, origins) == 8 && offsetof(vtp_cors, methods) == 16 &&
              offsetof(vtp_cors, headers) == 24 && offsetof(vtp_cors, expose_headers) == 32 && offsetof(vtp_cors, max_age_seconds) == 40);
static_assert(offsetof(vtp_ws_open_info, struct_size) == 0 && offsetof(vtp_ws_open_info, connection) == 8 &&
              offsetof(vtp_ws_open_info, path) == 16 && offsetof(vtp_ws_open_info, query) == 24 &&
              offsetof(vtp_ws_open_info, remote_address) == 32 && offsetof(vtp_ws_open_info, headers) == 40 &&
              offsetof(vtp_ws_open_info, header_count) == 48);
static_assert(offsetof(vtp_ws_http_request, struct_size) == 0 && offsetof(vtp_ws_http_request, request) == 8 &&
              offsetof(vtp_ws_http_request, method) == 16 && offsetof(vtp_ws_http_request, path) == 24 &&
              offsetof(vtp_ws_http_request, query) == 32 && offsetof(vtp_ws_http_request, remote_address) == 40 &&
              offsetof(vtp_ws_http_request, headers) == 48 && offsetof(vtp_ws_http_request, header_count) == 56 &&
              offsetof(vtp_ws_http_request, body) == 64 && offsetof(vtp_ws_http_request, body_len) == 72);
static_assert(offsetof(vtp_ws_endpoint, struct_size) == 0 && offsetof(vtp_ws_endpoint, path) == 8 &&
              offsetof(vtp_ws_endpoint, on_open) == 16 && offsetof(vtp_ws_endpoint, on_message) == 24 &&
              offsetof(vtp_ws_endpoint, on_close) == 32 && offsetof(vtp_ws_endpoint, user_data) == 40 &&
              offsetof(vtp_ws_endpoint, max_message_bytes) == 48 && offsetof(vtp_ws_endpoint, on_http) == 56);
static_assert(sizeof(vtp_sql_value) == 40);
static_assert(offsetof(vtp_sql_value, type) == 0 && offsetof(vtp_sql_value, i) == 8 && offsetof(vtp_sql_value, r) == 16 &&
              offsetof(vtp_sql_value, bytes) == 24 && offsetof(vtp_sql_value, len) == 32);
static_assert(offsetof(vtp_cli_command, struct_size) == 0 && offsetof(vtp_cli_command, name) == 8 &&
              offsetof(vtp_cli_command, summary) == 16 && offsetof(vtp_cli_command, usage) == 24 && offsetof(vtp_cli_command, run) == 32 &&
              offsetof(vtp_cli_command, user_data) == 40);
static_assert(offsetof(vtp_job_kind, struct_size) == 0 && offsetof(vtp_job_kind, kind) == 8 && offsetof(vtp_job_kind, summary) == 16 &&
              offsetof(vtp_job_kind, max_attempts) == 24 && offsetof(vtp_job_kind, run) == 32 && offsetof(vtp_job_kind, user_data) == 40);
static_assert(offsetof(vtp_host_api, struct_size) == 0 && offsetof(vtp_host_api, abi_major) == 4 &&
              offsetof(vtp_host_api, abi_minor) == 6 && offsetof(vtp_host_api, log) == 8 && offsetof(vtp_host_api, log_enabled) == 16 &&
              offsetof(vtp_host_api, config_json) == 24 && offsetof(vtp_host_api, data_dir) == 32 &&
              offsetof(vtp_host_api, route_add) == 40 && offsetof(vtp_host_api, response_status) == 48 &&
              offsetof(vtp_host_api, response_header) == 56 && offsetof(vtp_host_api, response_body) == 64 &&
              offsetof(vtp_host_api, response_problem) == 72 && offsetof(vtp_host_api, service_offer) == 80 &&
              offsetof(vtp_host_api, service_find) == 88 && offsetof(vtp_host_api, db_dialect) == 96 &&
              offsetof(vtp_host_api, db_exec) == 104 && offsetof(vtp_host_api, db_begin) == 112 &&
              offsetof(vtp_host_api, db_commit) == 120 && offsetof(vtp_host_api, db_rollback) == 128 &&
              offsetof(vtp_host_api, db_result_columns) == 136 && offsetof(vtp_host_api, db_result_column_name) == 144 &&
              offsetof(vtp_host_api, db_result_rows) == 152 && offsetof(vtp_host_api, db_result_value) == 160 &&
              offsetof(vtp_host_api, db_result_affected) == 168 && offsetof(vtp_host_api, db_result_free) == 176 &&
              offsetof(vtp_host_api, ws_endpoint_add) == 184 && offsetof(vtp_host_api, ws_send) == 192 &&
              offsetof(vtp_host_api, ws_close) == 200 && offsetof(vtp_host_api, cli_command_add) == 208 &&
              offsetof(vtp_host_api, event_publish) == 216 && offsetof(vtp_host_api, event_subscribe) == 224 &&
              offsetof(vtp_host_api, job_kind_add) == 232 && offsetof(vtp_host_api, job_submit) == 240 &&
              offsetof(vtp_host_api, job_progress) == 248 && offsetof(vtp_host_api, job_cancelled) == 256 &&
              offsetof(vtp_host_api, job_result) == 264 && offsetof(vtp_host_api, metric_add) == 272 &&
              offsetof(vtp_host_api, metric_set) == 280 && offsetof(vtp_host_api, metric_inc) == 288 &&
              offsetof(vtp_host_api, ws_http_respond) == 296 && offsetof(vtp_host_api, ws_send_many) == 304);
static_assert(offsetof(vtp_host_api, response_defer) == 312 && // since 1.6
              offsetof(vtp_host_api, response_complete) == 320 && offsetof(vtp_host_api, cluster_node_id) == 328 &&
              offsetof(vtp_host_api, cluster_send) == 336 && offsetof(vtp_host_api, cluster_subscribe) == 344 &&
              offsetof(vtp_host_api, cluster_peers) == 352 && offsetof(vtp_host_api, response_file) == 360 &&
              offsetof(vtp_host_api, cors_default) == 368);
// The 1.6 entries take no enum either: the abort reason is a uint32_t of VTP_BODY_ABORT_* values.
static_assert(std::is_same_v<decltype(vtp_route::body_abort), void (*)(void*, void*, uint32_t)>);
static_assert(VTP_BODY_ABORT_DISCONNECTED == 1 && VTP_BODY_ABORT_SHUTDOWN == 5 && VTP_ROUTE_BODY_STREAM == 3);
static_assert(offsetof(vtp_plugin_descriptor, struct_size) == 0 && offsetof(vtp_plugin_descriptor, abi_major) == 4 &&
              offsetof(vtp_plugin_descriptor, abi_minor) == 6 && offsetof(vtp_plugin_descriptor, build_signature) == 8 &&
              offsetof(vtp_plugin_descriptor, name) == 16 && offsetof(vtp_plugin_descriptor, version) == 24 &&
              offsetof(vtp_plugin_descriptor, description) == 32 && offsetof(vtp_plugin_descriptor, dependencies) == 40 &&
              offsetof(vtp_plugin_descriptor, config_keys) == 48 && offsetof(vtp_plugin_descriptor, config_key_count) == 56 &&
              offsetof(vtp_plugin_descriptor, migrations) == 64 && offsetof(vtp_plugin_descriptor, migration_count) == 72 &&
              offsetof(vtp_plugin_descriptor, init) == 80 && offsetof(vtp_plugin_descriptor, start) == 88 &&
              offsetof(vtp_plugin_descriptor, stop) == 96 && offsetof(vtp_plugin_descriptor, destroy) == 104);
static_assert(offsetof(vtp_plugin_descriptor, optional_dependencies) == 112); // since 1.6
static_assert(offsetof(vtp_verifier_v1, struct_size) == 0 && offsetof(vtp_verifier_v1, context) == 8 &&
              offsetof(vtp_verifier_v1, verify) == 16 && offsetof(vtp_verifier_v1, verify_session) == 24 &&
              offsetof(vtp_verifier_v1, session_revoked) == 32);
static_assert(offsetof(vtp_room_provider_v1, struct_size) == 0 && offsetof(vtp_room_provider_v1, context) == 8 &&
              offsetof(vtp_room_provider_v1, describe) == 16 && offsetof(vtp_room_provider_v1, authorize) == 24);
static_assert(offsetof(vtp_directory_v1, struct_size) == 0 && offsetof(vtp_directory_v1, context) == 8 &&
              offsetof(vtp_directory_v1, lookup_email) == 16 && offsetof(vtp_directory_v1, lookup_id) == 24);
static_assert(offsetof(vtp_sections_v1, struct_size) == 0 && offsetof(vtp_sections_v1, context) == 8 &&
              offsetof(vtp_sections_v1, relation) == 16 && VTP_SECTIONS_V1_SIZE == 24);
static_assert(offsetof(vtp_sections_v1, describe) == 24); // since 1.7
static_assert(offsetof(vtp_sessions_v1, struct_size) == 0 && offsetof(vtp_sessions_v1, context) == 8 &&
              offsetof(vtp_sessions_v1, recorded_sessions) == 16 && VTP_SESSIONS_V1_SIZE == 24);
static_assert(sizeof(vtp_sio_binary) == 16);
static_assert(offsetof(vtp_sio_binary, data) == 0 && offsetof(vtp_sio_binary, len) == 8);
static_assert(offsetof(vtp_sio_socket, struct_size) == 0 && offsetof(vtp_sio_socket, nsp) == 8 && offsetof(vtp_sio_socket, id) == 16 &&
              offsetof(vtp_sio_socket, user_id) == 24 && offsetof(vtp_sio_socket, roles) == 32 &&
              offsetof(vtp_sio_socket, auth_json) == 40);
static_assert(offsetof(vtp_sio_namespace, struct_size) == 0 && offsetof(vtp_sio_namespace, name) == 8 &&
              offsetof(vtp_sio_namespace, require_auth) == 16 && offsetof(vtp_sio_namespace, user_data) == 24 &&
              offsetof(vtp_sio_namespace, on_connect) == 32 && offsetof(vtp_sio_namespace, on_event) == 40 &&
              offsetof(vtp_sio_namespace, on_disconnect) == 48);
static_assert(offsetof(vtp_socketio_v1, struct_size) == 0 && offsetof(vtp_socketio_v1, context) == 8 &&
              offsetof(vtp_socketio_v1, add_namespace) == 16 && offsetof(vtp_socketio_v1, emit) == 24 &&
              offsetof(vtp_socketio_v1, emit_with_ack) == 32 && offsetof(vtp_socketio_v1, broadcast) == 40 &&
              offsetof(vtp_socketio_v1, ack) == 48 && offsetof(vtp_socketio_v1, join) == 56 && offsetof(vtp_socketio_v1, leave) == 64 &&
              offsetof(vtp_socketio_v1, disconnect) == 72);
static_assert(offsetof(vtp_room_participant, struct_size) == 0 && offsetof(vtp_room_participant, room) == 8 &&
              offsetof(vtp_room_participant, room_name) == 16 && offsetof(vtp_room_participant, participant_id) == 24 &&
              offsetof(vtp_room_participant, user_id) == 32 && offsetof(vtp_room_participant, roles) == 40 &&
              offsetof(vtp_room_participant, moderator) == 48);
static_assert(offsetof(vtp_room_event_handler, struct_size) == 0 && offsetof(vtp_room_event_handler, prefix) == 8 &&
              offsetof(vtp_room_event_handler, user_data) == 16 && offsetof(vtp_room_event_handler, on_event) == 24 &&
              offsetof(vtp_room_event_handler, on_join) == 32);
static_assert(offsetof(vtp_room_events_v1, struct_size) == 0 && offsetof(vtp_room_events_v1, context) == 8 &&
              offsetof(vtp_room_events_v1, add_handler) == 16 && offsetof(vtp_room_events_v1, remove_handler) == 24 &&
              offsetof(vtp_room_events_v1, reply) == 32 && offsetof(vtp_room_events_v1, refuse) == 40 &&
              offsetof(vtp_room_events_v1, broadcast) == 48 && offsetof(vtp_room_events_v1, to_user) == 56 &&
              offsetof(vtp_room_events_v1, to_participant) == 64 && VTP_ROOM_EVENTS_V1_SIZE == 72);

#endif

TEST(AbiLayout, StructsKeepTheirShippedLayout)
{
#if UINTPTR_MAX != 0xffffffffffffffffu
    GTEST_SKIP() << "the recorded layout is the 64-bit one";
#endif
    // The checks are the static_asserts above: this file compiling means they held.
    SUCCEED();
}
