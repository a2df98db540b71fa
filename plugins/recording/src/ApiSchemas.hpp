#pragma once

// JSON Schemas of the recording plugin's requests and responses, for the API description
// (/api/v1/openapi.json); the conformance test checks every answer against them.

#include <string>

namespace vtp::recording {

inline constexpr const char* kCreateRecordingSchema = R"json({
  "type": "object",
  "properties": {
    "room_id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "a live room (a class room is courses:SESSION)"
}
, "section_id" : {"type" : "string", "minLength" : 1, "maxLength" : 128, "description" : "a course section"},
                 "title" : {"type" : "string", "minLength" : 1},
                           "visibility":
{
    "enum" : [ "participants", "staff", "link" ], "description" : "who may watch; default participants"
}
}
, "required" : ["title"], "additionalProperties" : false
})json";

inline constexpr const char* kUpdateRecordingSchema = R"json({
  "type": "object",
  "properties": {
    "title": {"type": "string", "minLength": 1},
    "visibility": {"enum": ["participants", "staff", "link"]}
  },
  "additionalProperties": false
})json";

inline constexpr const char* kRecordingSchema = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "title": {"type": "string"},
    "room_id": {"type": ["string", "null"]},
    "section_id": {"type": ["string", "null"]},
    "owner_id": {"type": "string"},
    "state": {"enum": ["recording", "processing", "ready", "failed"]},
    "failure": {"type": ["string", "null"], "description": "why it failed, for a person to read"},
    "visibility": {"enum": ["participants", "staff", "link"]},
    "started_at": {"type": "integer", "description": "Unix seconds"},
    "stopped_at": {"type": ["integer", "null"]},
    "duration_s": {"type": "number", "minimum": 0},
    "size_bytes": {"type": "integer", "minimum": 0},
    "sources": {"type": "array", "items": {
      "type": "object",
      "properties": {
        "id": {"type": "string"},
        "kind": {"enum": ["camera", "screen", "audio", "file", "other"]},
        "filename": {"type": ["string", "null"]},
        "media_type": {"type": ["string", "null"]},
        "length": {"type": ["integer", "null"], "description": "null while deferred"},
        "offset": {"type": "integer", "minimum": 0, "description": "bytes acknowledged"},
        "state": {"enum": ["uploading", "complete", "expired"]},
        "started_at_ms": {"type": "integer", "description": "the server's clock when the upload was created"},
        "offset_ms": {"type": "integer", "description": "started_at_ms less the recording's start"},
        "expires_at": {"type": ["integer", "null"]},
        "upload_url": {"type": "string"}
      },
      "required": ["id", "kind", "length", "offset", "state", "started_at_ms", "offset_ms", "upload_url"]
    }},
    "progress": {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "the fraction processed, while processing"},
    "media": {"type": ["object", "null"], "description": "what processing made: duration_s, and per source its master playlist, offset_ms and tracks (codecs, sizes)"},
    "created_at": {"type": "integer"}
  },
  "required": ["id", "title", "room_id", "section_id", "owner_id", "state", "failure", "visibility", "started_at", "duration_s",
               "size_bytes", "sources"]
})json";

inline std::string recordingListSchema()
{
    return std::string(R"({"type": "object", "properties": {"recordings": {"type": "array", "items": )") + kRecordingSchema +
           R"(}, "next_cursor": {"type": ["string", "null"]}}, "required": ["recordings", "next_cursor"]})";
}

// The upload's state as GET answers it (HEAD: the same headers, no body).
inline constexpr const char* kUploadSchema = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "offset": {"type": "integer", "minimum": 0},
    "length": {"type": ["integer", "null"]},
    "state": {"enum": ["uploading", "complete"]},
    "expires_at": {"type": ["integer", "null"]}
  },
  "required": ["id", "offset", "length", "state"]
})json";

// Bytes stored for the whole store or one course (GET /recordings/usage).
inline constexpr const char* kFiguresProperties = R"json(
      "recordings": {"type": "integer", "minimum": 0},
      "used_bytes": {"type": "integer", "minimum": 0, "description": "source_bytes + media_bytes"},
      "source_bytes": {"type": "integer", "minimum": 0, "description": "the sources' bytes acknowledged"},
      "media_bytes": {"type": "integer", "minimum": 0, "description": "the processed output's bytes"},
      "reserved_bytes": {"type": "integer", "minimum": 0, "description": "what unfinished uploads of known length will still bring"},
      "quota_bytes": {"type": ["integer", "null"], "description": "null: no limit"})json";

inline const std::string kUsageSchema = std::string(R"json({
  "type": "object",
  "properties": {
    "store": {"type": ["object", "null"], "description": "the whole store (admins only)", "properties": {
      "kind": {"type": "string"},
      "free_bytes": {"type": ["integer", "null"]},
      "by_state": {"type": "object", "additionalProperties": {"type": "integer"}},)json") +
                                        kFiguresProperties + R"json(},
      "required": ["kind", "recordings", "used_bytes", "source_bytes", "media_bytes", "reserved_bytes", "quota_bytes"]},
    "courses": {"type": "array", "items": {"type": "object", "properties": {
      "course_id": {"type": "string"},
      "course_code": {"type": ["string", "null"]},
      "course_title": {"type": ["string", "null"]},
      "quota_source": {"enum": ["course", "default", "none"]},)json" +
                                        kFiguresProperties + R"json(},
      "required": ["course_id", "recordings", "used_bytes", "source_bytes", "media_bytes", "reserved_bytes", "quota_bytes"]}}
  },
  "required": ["store", "courses"]
})json";

inline constexpr const char* kQuotaSchema = R"json({
  "type": "object",
  "properties": {
    "course_id": {"type": "string"},
    "max_bytes": {"type": "integer", "minimum": 0, "description": "0: no limit"},
    "updated_by": {"type": "string"},
    "updated_at": {"type": "integer"}
  },
  "required": ["course_id", "max_bytes", "updated_by", "updated_at"]
})json";

inline std::string quotaListSchema()
{
    return std::string(R"({"type": "object", "properties": {"total_bytes": {"type": ["integer", "null"]}, )"
                       R"("course_bytes": {"type": ["integer", "null"]}, "courses": {"type": "array", "items": )") +
           kQuotaSchema + R"(}}, "required": ["total_bytes", "course_bytes", "courses"]})";
}

inline constexpr const char* kPutQuotaSchema = R"json({
  "type": "object",
  "properties": {"max_bytes": {"type": "integer", "minimum": 0, "description": "the course's quota in bytes; 0: no limit"}},
  "required": ["max_bytes"],
  "additionalProperties": false
})json";

} // namespace vtp::recording
