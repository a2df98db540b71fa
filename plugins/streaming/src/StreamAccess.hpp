#pragma once

// Who may create, manage and see a live stream. Decided through the courses plugin's service
// "vtp.courses.sections", never its tables:
// - a section's stream: created and managed by the section's instructors and admins; its
//   assistants and enrolled students see it (without the key and ingest URLs);
// - a room's stream (any room id): created by admins only (no service names a room's moderators
//   for any room), managed by whoever created it and admins;
// - whoever created a stream manages it; admins manage everything; anyone else sees nothing (404).
// Thread-safe once start() has run.

#include <vtp/sdk.hpp>
#include <vtp/services/sections.h>

#include <optional>
#include <string>

namespace vtp::streaming {

// What a stream is about, as stored.
struct StreamSubject {
    std::optional<std::string> roomId, sectionId;
    std::string ownerId;
};

class StreamAccess {
public:
    explicit StreamAccess(Host& host) : host_(host) {}
    // Finds the sections service (the courses plugin starts first: an optional dependency).
    void start();

    // May this user (an admin or not) create a stream of this room or section? Throws 403, or
    // 422 unknown-section.
    void requireMayCreate(const std::string& userId, bool admin, const StreamSubject& s) const;
    // May they rotate its key, delete it, see its key and ingest URLs?
    bool isManager(const std::string& userId, bool admin, const StreamSubject& s) const;
    // May they see it (and watch it)?
    bool mayView(const std::string& userId, bool admin, const StreamSubject& s) const;
    // The user's relation to a section ("instructor", "assistant", "enrolled", "waitlisted", ""),
    // or nothing when the section does not exist or there is no courses plugin to ask.
    std::optional<std::string> sectionRelation(const std::string& sectionId, const std::string& userId) const;
    // The course of a section, when the courses plugin is there and says (its describe, ABI 1.7).
    std::optional<std::string> sectionCourse(const std::string& sectionId) const;

private:
    Host& host_;
    const vtp_sections_v1* sections_ = nullptr;
};

} // namespace vtp::streaming
