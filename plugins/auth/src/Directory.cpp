// The service "vtp.auth.directory" (sdk/include/vtp/services/directory.h): other plugins resolve
// accounts by email or id without reading auth's tables.
#include "AuthService.hpp"
#include "PasswordPolicy.hpp"

#include <vtp/services/directory.h>

#include <cstring>

namespace vtp::auth {

namespace {

struct Directory {
    const Db* db = nullptr;
    vtp_directory_v1 table{};
};

int copyOut(const std::string& text, char* out, size_t cap)
{
    if (!out || cap == 0 || text.size() >= cap) return VTP_INVALID;
    std::memcpy(out, text.data(), text.size());
    out[text.size()] = '\0';
    return VTP_OK;
}

int lookupEmail(void* context, const char* email, char* idOut, size_t idCap)
{
    try {
        const auto normalised = email ? normaliseEmail(email) : std::nullopt;
        if (!normalised) return VTP_INVALID;
        const Rows rows = static_cast<Directory*>(context)->db->query("SELECT id FROM auth_users WHERE email = ?", {*normalised});
        return rows.empty() ? VTP_NOT_FOUND : copyOut(rows[0][0].asString(), idOut, idCap);
    } catch (...) {
        return VTP_ERROR;
    }
}

int lookupId(void* context, const char* id, char* emailOut, size_t emailCap, char* nameOut, size_t nameCap)
{
    try {
        if (!id) return VTP_INVALID;
        const Rows rows = static_cast<Directory*>(context)->db->query("SELECT email, display_name FROM auth_users WHERE id = ?", {id});
        if (rows.empty()) return VTP_NOT_FOUND;
        const int rc = copyOut(rows[0][0].asString(), emailOut, emailCap);
        return rc != VTP_OK ? rc : copyOut(rows[0][1].asString(), nameOut, nameCap);
    } catch (...) {
        return VTP_ERROR;
    }
}

} // namespace

std::shared_ptr<void> offerDirectory(Host& host)
{
    auto directory = std::make_shared<Directory>();
    directory->db = &host.db();
    directory->table.struct_size = sizeof directory->table;
    directory->table.context = directory.get();
    directory->table.lookup_email = &lookupEmail;
    directory->table.lookup_id = &lookupId;
    host.offer(VTP_DIRECTORY_SERVICE, VTP_DIRECTORY_VERSION, &directory->table);
    return directory;
}

} // namespace vtp::auth
