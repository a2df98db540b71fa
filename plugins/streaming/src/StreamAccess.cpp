#include "StreamAccess.hpp"

namespace vtp::streaming {

void StreamAccess::start()
{
    sections_ = host_.find<vtp_sections_v1>(VTP_SECTIONS_SERVICE, VTP_SECTIONS_VERSION, VTP_SECTIONS_V1_SIZE);
    if (!sections_) host_.log().warn("vtp.courses.sections is not offered: only admins may stream sections");
}

std::optional<std::string> StreamAccess::sectionRelation(const std::string& sectionId, const std::string& userId) const
{
    if (!sections_) return std::nullopt;
    char relation[32] = {0};
    const int rc = sections_->relation(sections_->context, sectionId.c_str(), userId.c_str(), relation, sizeof relation);
    if (rc == VTP_NOT_FOUND) return std::nullopt;
    if (rc != VTP_OK) throw ServiceUnavailable("the courses plugin could not say who teaches this section");
    return std::string(relation);
}

std::optional<std::string> StreamAccess::sectionCourse(const std::string& sectionId) const
{
    if (!tableHas(sections_, &vtp_sections_v1::describe)) return std::nullopt;
    char out[4096] = {0};
    if (sections_->describe(sections_->context, sectionId.c_str(), out, sizeof out) != VTP_OK) return std::nullopt;
    try {
        const Json d = Json::parse(out);
        if (d.has("course_id") && d["course_id"].isString()) return d["course_id"].asString();
    } catch (const std::exception&) {
        // A description we cannot read names no course.
    }
    return std::nullopt;
}

void StreamAccess::requireMayCreate(const std::string& userId, bool admin, const StreamSubject& s) const
{
    if (s.sectionId) {
        const auto relation = sectionRelation(*s.sectionId, userId);
        if (sections_ && !relation) throw Unprocessable("'section_id' names no section", "unknown-section");
        if (admin || relation == std::optional<std::string>("instructor")) return;
        throw Forbidden(sections_ ? "only the section's instructors and admins may stream it"
                                  : "only admins may stream a section while the courses plugin is not enabled");
    }
    if (admin) return;
    throw Forbidden("only admins may stream a live room");
}

bool StreamAccess::isManager(const std::string& userId, bool admin, const StreamSubject& s) const
{
    if (admin || s.ownerId == userId) return true;
    return s.sectionId && sectionRelation(*s.sectionId, userId) == std::optional<std::string>("instructor");
}

bool StreamAccess::mayView(const std::string& userId, bool admin, const StreamSubject& s) const
{
    if (admin || s.ownerId == userId) return true;
    if (!s.sectionId) return false;
    // One question to the courses plugin: its instructors manage, its roster watches.
    const auto relation = sectionRelation(*s.sectionId, userId);
    return relation == std::optional<std::string>("instructor") || relation == std::optional<std::string>("assistant") ||
           relation == std::optional<std::string>("enrolled");
}

} // namespace vtp::streaming
