#include "Access.hpp"

#include <cstring>
#include <ctime>

namespace vtp::recording {

void Access::start()
{
    sections_ = host_.find<vtp_sections_v1>(VTP_SECTIONS_SERVICE, VTP_SECTIONS_VERSION, VTP_SECTIONS_V1_SIZE);
    courseRooms_ = host_.find<vtp_room_provider_v1>(std::string(VTP_ROOM_PROVIDER_PREFIX) + "courses", VTP_ROOM_PROVIDER_VERSION,
                                                    VTP_ROOM_PROVIDER_V1_SIZE);
    if (!sections_) host_.log().warn("vtp.courses.sections is not offered: only admins may record sections");
}

std::optional<std::string> Access::sectionRelation(const std::string& sectionId, const std::string& userId) const
{
    if (!sections_) return std::nullopt;
    char relation[32] = {0};
    const int rc = sections_->relation(sections_->context, sectionId.c_str(), userId.c_str(), relation, sizeof relation);
    if (rc == VTP_NOT_FOUND) return std::nullopt;
    if (rc != VTP_OK) throw ServiceUnavailable("the courses plugin could not say who teaches this section");
    return std::string(relation);
}

std::optional<Json> Access::describeSection(const std::string& sectionId) const
{
    if (!tableHas(sections_, &vtp_sections_v1::describe)) return std::nullopt;
    std::string out(4096, '\0');
    const int rc = sections_->describe(sections_->context, sectionId.c_str(), out.data(), out.size());
    if (rc == VTP_NOT_FOUND) return std::nullopt;
    if (rc != VTP_OK) throw ServiceUnavailable("the courses plugin could not describe section " + sectionId);
    out.resize(std::strlen(out.c_str()));
    return Json::parse(out);
}

bool Access::moderatesRoom(const std::string& roomId, const std::string& user, const std::string& roles) const
{
    constexpr std::string_view prefix = "courses:";
    if (!courseRooms_ || roomId.compare(0, prefix.size(), prefix) != 0) return false;
    int moderator = 0;
    char reason[256] = {0};
    const std::string key = roomId.substr(prefix.size());
    const int rc = courseRooms_->authorize(courseRooms_->context, key.c_str(), user.c_str(), roles.c_str(),
                                           static_cast<int64_t>(::time(nullptr)), &moderator, reason, sizeof reason);
    return rc == VTP_OK && moderator == 1;
}

std::optional<std::pair<std::string, std::string>> Access::classOfRoom(const std::string& roomId) const
{
    constexpr std::string_view prefix = "courses:";
    if (!courseRooms_ || roomId.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    std::string out(4096, '\0');
    const std::string key = roomId.substr(prefix.size());
    if (courseRooms_->describe(courseRooms_->context, key.c_str(), out.data(), out.size()) != VTP_OK) return std::nullopt;
    out.resize(std::strlen(out.c_str()));
    try {
        const Json about = Json::parse(out);
        const std::string section = about.stringOr("section_id", "");
        if (section.empty()) return std::nullopt; // a provider before it said so
        return std::make_pair(section, about.stringOr("session_id", key));
    } catch (const JsonError&) {
        return std::nullopt;
    }
}

void Access::requireMayStart(const Caller& c, const Subject& s) const
{
    if (c.system) return;
    const bool admin = c.hasRole("admin");
    if (s.sectionId) {
        const auto relation = sectionRelation(*s.sectionId, c.userId);
        if (sections_ && !relation) throw Unprocessable("'section_id' names no section", "unknown-section");
        if (admin || relation == std::optional<std::string>("instructor")) return;
        throw Forbidden(sections_ ? "only the section's instructors and admins may record it"
                                  : "only admins may record a section while the courses plugin is not enabled");
    }
    if (admin || (s.roomId && moderatesRoom(*s.roomId, c.userId, c.rolesText()))) return;
    throw Forbidden("only the room's moderators (a class room's instructors and assistants) and admins may record it");
}

bool Access::isManager(const Caller& c, const Subject& s) const
{
    if (c.system || c.hasRole("admin") || s.ownerId == c.userId) return true;
    if (s.sectionId && sectionRelation(*s.sectionId, c.userId) == std::optional<std::string>("instructor")) return true;
    // A class room's recording has its section too: the room's moderators keep managing it.
    return s.roomId && moderatesRoom(*s.roomId, c.userId, c.rolesText());
}

void Access::requireManager(const Caller& c, const Subject& s) const
{
    if (!isManager(c, s))
        throw Forbidden("only whoever started this recording, its section's instructors or room's moderators, and admins may do this");
}

bool Access::mayView(const Request& req, const Subject& s) const
{
    if (s.visibility == "link" || isManager(req, s)) return true;
    return viewsAsParticipant(std::string(req.subject()), s);
}

bool Access::mayView(const std::string& userId, bool admin, const Subject& s) const
{
    if (s.visibility == "link" || admin || s.ownerId == userId) return true;
    if (s.sectionId) {
        // Its staff (instructors and assistants), whatever the visibility, as in the lists.
        const auto relation = sectionRelation(*s.sectionId, userId);
        if (relation == std::optional<std::string>("instructor") || relation == std::optional<std::string>("assistant")) return true;
    }
    if (s.roomId && moderatesRoom(*s.roomId, userId, admin ? "admin" : "")) return true;
    return viewsAsParticipant(userId, s);
}

bool Access::viewsAsParticipant(const std::string& userId, const Subject& s) const
{
    if (!s.sectionId || s.visibility != "participants") return false;
    const auto relation = sectionRelation(*s.sectionId, userId);
    return relation == std::optional<std::string>("assistant") || relation == std::optional<std::string>("enrolled");
}

} // namespace vtp::recording
