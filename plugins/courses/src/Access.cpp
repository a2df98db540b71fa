// Who may manage a section (admins, its instructors) or see it as staff (also its assistants), and
// users' accounts through the auth plugin's directory.

#include "CoursesService.hpp"

#include "Dates.hpp"
#include "Queries.hpp"
#include "RequestFields.hpp"
#include "TimeZone.hpp"

#include "timetable/Commands.hpp"

#include <vtp/random.hpp>

#include <functional>

namespace vtp::courses {

std::optional<std::string> CoursesService::staffRole(const std::string& sectionId, const std::string& userId) const
{
    const Rows rows = host_.db().query("SELECT role FROM courses_section_staff WHERE section_id = ? AND user_id = ?", {sectionId, userId});
    if (rows.empty()) return std::nullopt;
    return rows[0][0].asString();
}

Section CoursesService::requireSectionManager(const Request& req, const std::string& sectionId) const
{
    Section s = loadSection(sectionId);
    if (isAdmin(req)) return s;
    if (staffRole(sectionId, std::string(req.subject())) == std::optional<std::string>("instructor")) return s;
    throw Forbidden("only the section's instructors and admins may do this");
}

Section CoursesService::requireSectionStaff(const Request& req, const std::string& sectionId) const
{
    Section s = loadSection(sectionId);
    if (isAdmin(req) || staffRole(sectionId, std::string(req.subject()))) return s;
    throw Forbidden("only the section's instructors, teaching assistants and admins may see this");
}

std::optional<DirectoryEntry> CoursesService::lookupEmail(const std::string& email) const
{
    if (!directory_) return std::nullopt;
    char id[128] = {0};
    if (directory_->lookup_email(directory_->context, email.c_str(), id, sizeof id) != VTP_OK) return std::nullopt;
    return lookupId(id);
}

std::optional<DirectoryEntry> CoursesService::lookupId(const std::string& id) const
{
    if (!directory_) return std::nullopt;
    char email[512] = {0}, name[512] = {0};
    if (directory_->lookup_id(directory_->context, id.c_str(), email, sizeof email, name, sizeof name) != VTP_OK) return std::nullopt;
    return DirectoryEntry{id, email, name};
}

void CoursesService::requireAccounts(const std::vector<std::string>& ids, const char* field) const
{
    if (!directory_) return;
    for (const auto& id : ids)
        if (!lookupId(id)) throw Unprocessable(std::string("'") + field + "' names " + id + ", and no account has that id", "unknown-user");
}

} // namespace vtp::courses
