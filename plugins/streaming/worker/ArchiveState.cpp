#include "ArchiveState.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace vtp::streaming::ingest {

bool readArchiveState(const std::string& path, ArchiveState& out)
{
    std::ifstream in(path);
    if (!in) return false;
    ArchiveState s;
    int seen = 0;
    for (std::string key; in >> key;) {
        long long v = 0;
        if (!(in >> v) || v < 0) return false;
        if (key == "init_bytes") {
            s.initBytes = v;
            seen |= 1;
        } else if (key == "bytes") {
            s.bytes = v;
            seen |= 2;
        } else if (key == "end_us") {
            s.endUs = v;
            seen |= 4;
        } else if (key == "started_at_ms") {
            s.startedAtMs = v;
            seen |= 8;
        } else if (key == "publishes") {
            s.publishes = v;
        }
    }
    if (seen != 15 || s.bytes < s.initBytes) return false;
    out = s;
    return true;
}

std::string formatArchiveState(const ArchiveState& s)
{
    std::ostringstream text;
    text << "init_bytes " << s.initBytes << "\nbytes " << s.bytes << "\nend_us " << s.endUs << "\nstarted_at_ms " << s.startedAtMs
         << "\npublishes " << s.publishes << "\n";
    return text.str();
}

std::string archiveMedia(const std::string& dir, int n)
{
    return dir + "/archive-" + std::to_string(n) + ".mp4";
}

std::string archiveStateFile(const std::string& dir, int n)
{
    return dir + "/archive-" + std::to_string(n) + ".state";
}

std::vector<std::pair<int, ArchiveState>> listArchives(const std::string& dir)
{
    std::vector<std::pair<int, ArchiveState>> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string(), prefix = "archive-", suffix = ".state";
        if (name.size() <= prefix.size() + suffix.size() || name.size() > prefix.size() + suffix.size() + 6 ||
            name.compare(0, prefix.size(), prefix) != 0 || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (digits.find_first_not_of("0123456789") != std::string::npos) continue;
        ArchiveState s;
        if (readArchiveState(entry.path().string(), s)) out.emplace_back(std::stoi(digits), s);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

} // namespace vtp::streaming::ingest
