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

// A QoE report (GET /api/v1/recordings/{id}/qoe, /api/v1/streams/{id}/qoe,
// /api/v1/streaming/courses/{id}/qoe): README.md "Stream analytics" defines each figure.
inline constexpr const char* kQoeReportSchema = R"json({
  "type": "object",
  "properties": {
    "summary": {
      "type": "object",
      "description": "every session in the range (stored and live), not just this page",
      "properties": {
        "sessions": {"type": "integer"},
        "viewers": {"type": "integer", "description": "distinct users"},
        "concurrent_viewers": {"type": "integer", "description": "sessions seen in the last 30 s on this node"},
        "avg_startup_ms": {"type": ["integer", "null"]},
        "rebuffer_count": {"type": "integer"},
        "rebuffer_seconds": {"type": "number"},
        "rebuffer_ratio": {"type": "number", "description": "estimated stall time over watch time"},
        "bitrate_switches": {"type": "integer"},
        "avg_kbps": {"type": ["integer", "null"], "description": "weighted by each session's watch time"},
        "min_kbps": {"type": ["integer", "null"]},
        "errors": {"type": "integer"},
        "watch_seconds": {"type": "number"},
        "egress_bytes": {"type": "integer", "description": "bytes served to the sessions"},
        "requests": {"type": "integer"},
        "requests_per_rung": {"type": "object", "additionalProperties": {"type": "integer"}},
        "malformed_cmcd": {"type": "integer", "description": "requests with CMCD that did not parse, since this node started"}
      },
      "required": ["sessions", "viewers", "concurrent_viewers", "avg_startup_ms", "rebuffer_count", "rebuffer_seconds", "rebuffer_ratio",
                   "bitrate_switches", "avg_kbps", "min_kbps", "errors", "watch_seconds", "egress_bytes", "requests",
                   "requests_per_rung", "malformed_cmcd"]
    },
    "sessions": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "kind": {"enum": ["recording", "stream"]},
          "subject_id": {"type": "string", "description": "the recording's or stream's id"},
          "section_id": {"type": ["string", "null"]},
          "course_id": {"type": ["string", "null"]},
          "user_id": {"type": "string"},
          "sid": {"type": ["string", "null"], "description": "the player's CMCD session id"},
          "live": {"type": "boolean", "description": "still in memory (not ended)"},
          "started_at": {"type": "integer", "description": "Unix seconds"},
          "ended_at": {"type": "integer", "description": "Unix seconds: the last request so far"},
          "startup_ms": {"type": ["integer", "null"]},
          "rebuffer_count": {"type": "integer"},
          "rebuffer_seconds": {"type": "number"},
          "rebuffer_ratio": {"type": "number"},
          "bitrate_switches": {"type": "integer"},
          "avg_kbps": {"type": ["integer", "null"]},
          "min_kbps": {"type": ["integer", "null"]},
          "errors": {"type": "integer"},
          "watch_seconds": {"type": "number"},
          "requests": {"type": "integer"},
          "bytes": {"type": "integer"},
          "requests_per_rung": {"type": "object", "additionalProperties": {"type": "integer"}},
          "position_s": {"type": ["number", "null"]},
          "watched": {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}}
        },
        "required": ["id", "kind", "subject_id", "section_id", "course_id", "user_id", "sid", "live", "started_at", "ended_at",
                     "startup_ms", "rebuffer_count", "rebuffer_seconds", "rebuffer_ratio", "bitrate_switches", "avg_kbps", "min_kbps",
                     "errors", "watch_seconds", "requests", "bytes", "requests_per_rung", "position_s", "watched"]
      }
    },
    "next_cursor": {"type": ["string", "null"]}
  },
  "required": ["summary", "sessions", "next_cursor"]
})json";

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
