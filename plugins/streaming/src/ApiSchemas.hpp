#pragma once

// JSON Schemas of the streaming plugin's requests and responses, for the API description
// (/api/v1/openapi.json); the conformance test checks every answer against them.

#include <string>

namespace vtp::streaming {

inline constexpr const char* kCreateStreamSchema = R"json({
  "type": "object",
  "properties": {
    "room_id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "a live room (admins only)"},
    "section_id": {"type": "string", "minLength": 1, "maxLength": 128, "description": "a course section (its instructors, admins)"},
    "title": {"type": "string", "minLength": 1, "maxLength": 200}
  },
  "required": ["title"],
  "additionalProperties": false
})json";

inline constexpr const char* kStreamSchema = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string"},
    "title": {"type": "string"},
    "room_id": {"type": ["string", "null"]},
    "section_id": {"type": ["string", "null"]},
    "owner_id": {"type": "string"},
    "state": {"enum": ["idle", "live", "ended"]},
    "started_at": {"type": ["integer", "null"], "description": "Unix seconds: when it last went live"},
    "ended_at": {"type": ["integer", "null"]},
    "recording_id": {"type": ["string", "null"], "description": "the recording it became, once it has"},
    "key_rotated_at": {"type": "integer", "description": "when the current key was made"},
    "key": {"type": "string", "description": "the ingest secret (its managers only)"},
    "ingest": {
      "type": "object",
      "description": "where an encoder publishes, the key included (its managers only)",
      "properties": {"rtmp": {"type": "string"}, "srt": {"type": "string"}},
      "required": ["rtmp", "srt"]
    },
    "playback": {
      "type": "object",
      "description": "signed URLs for the caller",
      "properties": {
        "hls": {"type": "string", "description": "the HLS master playlist"},
        "dash": {"type": "string", "description": "the DASH MPD"},
        "expires_at": {"type": "integer", "description": "Unix seconds; the URLs stop working then"}
      },
      "required": ["hls", "dash", "expires_at"]
    },
    "created_at": {"type": "integer"},
    "updated_at": {"type": "integer"}
  },
  "required": ["id", "title", "room_id", "section_id", "owner_id", "state", "started_at", "ended_at", "recording_id",
               "key_rotated_at", "playback", "created_at", "updated_at"]
})json";

inline std::string streamListSchema()
{
    return std::string(R"({"type": "object", "properties": {"streams": {"type": "array", "items": )") + kStreamSchema +
           R"(}, "next_cursor": {"type": ["string", "null"]}}, "required": ["streams", "next_cursor"]})";
}

// GET /api/v1/recordings/{id}/presentation (Presentation.cpp).
inline constexpr const char* kPresentationSchema = R"json({
  "type": "object",
  "properties": {
    "recording_id": {"type": "string"},
    "title": {"type": "string"},
    "duration_s": {"type": "number"},
    "adaptive": {"type": "boolean", "description": "the sources are the adaptive ladder's masters (else the single rendition's)"},
    "expires_at": {"type": "integer", "description": "Unix seconds; the URLs stop working then"},
    "sources": {
      "type": "array",
      "description": "the primary source (a camera: the clock the others follow) first",
      "items": {
        "type": "object",
        "properties": {
          "kind": {"type": "string", "description": "camera, screen, file, audio, other"},
          "role": {"enum": ["main", "alternate"]},
          "offset_s": {"type": "number", "description": "where the source starts on the recording's timeline: its media time 0"},
          "hls": {"type": "string", "description": "its HLS master playlist (a signed URL)"}
        },
        "required": ["kind", "role", "offset_s", "hls"]
      }
    },
    "player": {"type": "string", "description": "the side-by-side player page of this recording"}
  },
  "required": ["recording_id", "title", "duration_s", "adaptive", "expires_at", "sources", "player"]
})json";

} // namespace vtp::streaming
