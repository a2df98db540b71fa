#pragma once

// Who may start, stop, change, delete and upload to a recording, and who may see it. Decided
// through other plugins' services, never their tables:
// - a section's recording: the section's instructors (service "vtp.courses.sections"), admins;
//   its assistants and enrolled students see it unless it is for staff only;
// - a room's recording: for a class room "courses:SESSION", its moderators (the room provider
//   "vtp.rooms.provider.courses", which names the section's instructors and assistants); other
//   rooms belong to the signalling plugin, which offers no service naming their moderators, so
//   only admins may record them;
// - whoever started a recording may stop, change and delete it; admins may do everything.
// Thread-safe once start() has run.

#include <vtp/sdk.hpp>
#include <vtp/services/room_provider.h>
#include <vtp/services/sections.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace vtp::recording {

// What a recording is about, as stored.
struct Subject {
    std::optional<std::string> roomId, sectionId;
    std::string ownerId;
    std::string visibility = "participants"; // participants | staff | link
    std::optional<std::string> sessionId;    // the class session whose schedule started it
};

// Who asks: a REST request's bearer, or a participant of a live room (its socket's token).
struct Caller {
    std::string userId;
    std::vector<std::string> roles;
    bool system = false; // the plugin itself (a recorded class session's schedule): allowed everything
    static Caller of(const Request& req) { return Caller{std::string(req.subject()), req.roles()}; }
    static Caller schedule() { return Caller{"", {}, true}; }
    bool hasRole(std::string_view role) const { return std::find(roles.begin(), roles.end(), role) != roles.end(); }
    std::string rolesText() const
    {
        std::string out;
        for (const auto& r : roles) out += (out.empty() ? "" : ",") + r;
        return out;
    }
};

class Access {
public:
    explicit Access(Host& host) : host_(host) {}
    // Finds the services (their plugins start first: optional dependencies).
    void start();

    // May the caller start a recording of this room or section? Throws 403, or 422 (unknown-section).
    void requireMayStart(const Caller& c, const Subject& s) const;
    void requireMayStart(const Request& req, const Subject& s) const { requireMayStart(Caller::of(req), s); }
    // May the caller stop, change, delete or upload to this recording? Throws 403.
    void requireManager(const Caller& c, const Subject& s) const;
    void requireManager(const Request& req, const Subject& s) const { requireManager(Caller::of(req), s); }
    bool isManager(const Caller& c, const Subject& s) const;
    bool isManager(const Request& req, const Subject& s) const { return isManager(Caller::of(req), s); }
    // May the caller see it (GET, lists)?
    bool mayView(const Request& req, const Subject& s) const;
    // The same for a user known only by id (a playback token's), with whether they are an admin:
    // the rules of mayView, a class room's moderators asked with `admin` as their only role.
    bool mayView(const std::string& userId, bool admin, const Subject& s) const;
    // The caller's relation to a section ("instructor", "assistant", "enrolled", "waitlisted", ""),
    // or nothing when the section does not exist or cannot be asked about.
    std::optional<std::string> sectionRelation(const std::string& sectionId, const std::string& userId) const;
    // Whether the caller moderates live room `roomId` (a class room of the courses plugin).
    bool moderatesRoom(const Request& req, const std::string& roomId) const
    {
        const Caller c = Caller::of(req);
        return moderatesRoom(roomId, c.userId, c.rolesText());
    }
    // The same for a user by id and their roles ("a,b").
    bool moderatesRoom(const std::string& roomId, const std::string& userId, const std::string& roles) const;
    bool sectionsAvailable() const { return sections_ != nullptr; }
    // The section's course and term as the courses plugin describes them (sections.h: course_id,
    // course_code, course_title, term_starts_at, term_ends_at, ...), or nothing when there is no
    // such section or nobody to ask (no courses plugin, or one older than ABI 1.7).
    std::optional<Json> describeSection(const std::string& sectionId) const;
    // The section and class session of a class room ("courses:SESSION"), through the courses
    // plugin's room provider; nothing for any other room (or without that plugin).
    std::optional<std::pair<std::string, std::string>> classOfRoom(const std::string& roomId) const;

private:
    // A section's assistants and enrolled students, unless the recording is for staff only.
    bool viewsAsParticipant(const std::string& userId, const Subject& s) const;

    Host& host_;
    const vtp_sections_v1* sections_ = nullptr;
    const vtp_room_provider_v1* courseRooms_ = nullptr;
};

} // namespace vtp::recording
