// vtpctl's `recording` commands: list recordings as a table, import a finished file as a new
// recording of a section (processed by whichever vtpd node claims the job), reprocess and delete
// as the REST routes do (the same code). They run in the vtpctl process, on the same config and
// database as vtpd, without a server: see docs/plugin-authors.md, "vtpctl commands".
#include "RecordingService.hpp"

#include <vtp/random.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>

namespace vtp::recording {

namespace {

std::string humanBytes(int64_t n)
{
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    size_t u = 0;
    while (v >= 1024 && u + 1 < std::size(units)) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string clockTime(double seconds)
{
    const auto s = static_cast<long long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

std::string utc(int64_t unix)
{
    const time_t t = static_cast<time_t>(unix);
    struct tm tm {};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
    return buf;
}

std::optional<std::string> mediaTypeOf(const std::string& file)
{
    std::string ext = std::filesystem::path(file).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".mp4" || ext == ".m4v") return "video/mp4";
    if (ext == ".mov") return "video/quicktime";
    if (ext == ".webm") return "video/webm";
    if (ext == ".mkv") return "video/x-matroska";
    return std::nullopt;
}

// "--name VALUE" options and positional arguments; false (usage printed) for an unknown option
// or one without its value.
bool parseArgs(const std::vector<std::string>& args, std::initializer_list<const char*> names, std::map<std::string, std::string>& options,
               std::vector<std::string>& positional, const char* usage)
{
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0) {
            positional.push_back(a);
            continue;
        }
        if (std::find_if(names.begin(), names.end(), [&](const char* n) { return a == n; }) == names.end() || i + 1 >= args.size()) {
            std::fprintf(stderr, "%s '%s'\nusage: vtpctl recording %s\n", i + 1 >= args.size() ? "missing value for" : "unknown option",
                         a.c_str(), usage);
            return false;
        }
        options[a] = args[++i];
    }
    return true;
}

} // namespace

void RecordingService::registerCommands()
{
    host_.command({.name = "recording list",
                   .summary = "Lists recordings as a table, oldest first",
                   .usage = "[--section ID] [--course ID] [--room ID] [--owner ID] [--state recording|processing|ready|failed] [--limit N]",
                   .run = [this](const std::vector<std::string>& args) { return listCommand(args); }});
    host_.command({.name = "recording import",
                   .summary = "Copies a finished file (MP4, WebM, MKV, MOV) into a new recording of a section and queues its processing",
                   .usage = "FILE --section ID [--title T] [--owner USER_ID] [--visibility participants|staff|link]",
                   .run = [this](const std::vector<std::string>& args) { return importCommand(args); }});
    host_.command({.name = "recording reprocess",
                   .summary = "Processes a ready or failed recording again",
                   .usage = "ID",
                   .run = [this](const std::vector<std::string>& args) { return reprocessCommand(args); }});
    host_.command({.name = "recording delete",
                   .summary = "Deletes a recording and every file of it",
                   .usage = "ID",
                   .run = [this](const std::vector<std::string>& args) { return deleteCommand(args); }});
}

void RecordingService::prepareCli()
{
    if (store_) return;
    store_ = std::make_unique<DirectoryStore>(storageDir_);
    access_.start();
}

int RecordingService::listCommand(const std::vector<std::string>& args)
{
    const char* usage = "list [--section ID] [--course ID] [--room ID] [--owner ID] [--state S] [--limit N]";
    std::map<std::string, std::string> o;
    std::vector<std::string> positional;
    if (!parseArgs(args, {"--section", "--course", "--room", "--owner", "--state", "--limit"}, o, positional, usage)) return 2;
    if (!positional.empty()) {
        std::fprintf(stderr, "unexpected argument '%s'\nusage: vtpctl recording %s\n", positional[0].c_str(), usage);
        return 2;
    }
    if (o.count("--state") && o["--state"] != "recording" && o["--state"] != "processing" && o["--state"] != "ready" &&
        o["--state"] != "failed") {
        std::fprintf(stderr, "--state is recording, processing, ready or failed\n");
        return 2;
    }
    long long limit = 100;
    if (o.count("--limit")) {
        try {
            limit = std::stoll(o["--limit"]);
        } catch (const std::exception&) {
            limit = 0;
        }
        if (limit < 1 || limit > 100000) {
            std::fprintf(stderr, "--limit is 1 to 100000\n");
            return 2;
        }
    }
    std::string sql = "SELECT * FROM recording_recordings WHERE 1 = 1";
    std::vector<Param> params;
    for (const auto& [option, column] : std::initializer_list<std::pair<const char*, const char*>>{
             {"--section", "section_id"}, {"--course", "course_id"}, {"--room", "room_id"}, {"--owner", "owner_id"}, {"--state", "state"}})
        if (o.count(option)) {
            sql += std::string(" AND ") + column + " = ?";
            params.emplace_back(o[option]);
        }
    sql += " ORDER BY created_at, id LIMIT " + std::to_string(limit);
    const Rows rows = host_.db().query(sql, params);
    std::printf("%-36s  %-10s  %10s  %9s  %-36s  %-16s  %s\n", "ID", "STATE", "SIZE", "DURATION", "SECTION / ROOM", "STARTED (UTC)",
                "TITLE");
    for (const auto row : rows) {
        const Json r = recordingJson(row);
        const std::string where = row["section_id"].asOptionalString().value_or(row["room_id"].asOptionalString().value_or("-"));
        std::printf("%-36s  %-10s  %10s  %9s  %-36s  %-16s  %s\n", r["id"].asString().c_str(), r["state"].asString().c_str(),
                    humanBytes(r["size_bytes"].asInt() + row["media_bytes"].asInt()).c_str(), clockTime(r["duration_s"].asDouble()).c_str(),
                    where.c_str(), utc(r["started_at"].asInt()).c_str(), r["title"].asString().c_str());
    }
    std::printf("%zu recording%s\n", rows.size(), rows.size() == 1 ? "" : "s");
    return 0;
}

int RecordingService::importCommand(const std::vector<std::string>& args)
{
    const char* usage = "import FILE --section ID [--title T] [--owner USER_ID] [--visibility participants|staff|link]";
    std::map<std::string, std::string> o;
    std::vector<std::string> positional;
    if (!parseArgs(args, {"--section", "--title", "--owner", "--visibility"}, o, positional, usage)) return 2;
    if (positional.size() != 1 || !o.count("--section")) {
        std::fprintf(stderr, "usage: vtpctl recording %s\n", usage);
        return 2;
    }
    const std::string file = positional[0], section = o["--section"];
    const std::string visibility = o.count("--visibility") ? o["--visibility"] : "participants";
    if (visibility != "participants" && visibility != "staff" && visibility != "link") {
        std::fprintf(stderr, "--visibility is participants, staff or link\n");
        return 2;
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fprintf(stderr, "vtpctl recording import: %s is not a readable file\n", file.c_str());
        return 1;
    }
    std::string title = o.count("--title") ? o["--title"] : std::filesystem::path(file).stem().string();
    if (title.empty() || title.size() > maxTitleChars_) {
        std::fprintf(stderr, "vtpctl recording import: the title must be 1 to %zu characters\n", maxTitleChars_);
        return 2;
    }
    prepareCli();
    if (!access_.sectionsAvailable()) {
        std::fprintf(stderr, "vtpctl recording import: the courses plugin is not enabled, so there are no sections\n");
        return 1;
    }
    std::optional<std::string> course;
    try {
        if (!access_.sectionRelation(section, "")) {
            std::fprintf(stderr, "vtpctl recording import: no section %s\n", section.c_str());
            return 1;
        }
        if (const auto about = access_.describeSection(section)) course = (*about)["course_id"].asString();
        requireRoom(roomLeft(course), static_cast<uint64_t>(st.st_size));
    } catch (const HttpError& e) {
        std::fprintf(stderr, "vtpctl recording import: %s\n", e.detail().c_str());
        return 1;
    }

    const int64_t nowMs = unixNowMs();
    ImportSpec spec;
    spec.title = title;
    spec.sectionId = section;
    spec.courseId = course;
    spec.ownerId = o.count("--owner") ? o["--owner"] : "";
    spec.visibility = visibility;
    spec.startedAtMs = spec.stoppedAtMs = nowMs;
    spec.sources = {{file, "file", nowMs}};
    const std::string id = importRecording(spec);
    const Rows rows = host_.db().query("SELECT job_id FROM recording_recordings WHERE id = ?", {id});
    const std::string job = rows.empty() ? "" : rows[0]["job_id"].asOptionalString().value_or("");
    std::printf("imported %s as recording %s (%llu bytes); processing queued as job %s\n", file.c_str(), id.c_str(),
                static_cast<unsigned long long>(st.st_size), job.empty() ? "-" : job.c_str());
    return 0;
}

std::string RecordingService::importRecording(const ImportSpec& spec)
{
    const std::string id = randomUuid();
    const int64_t now = unixNow();
    std::vector<std::pair<std::string, uint64_t>> copied; // upload id, bytes
    try {
        for (const auto& src : spec.sources) {
            const std::string uploadId = randomHex(16);
            copied.emplace_back(uploadId, store_->importUpload(id, uploadId, src.path));
        }
        // A finished recording: stopped at once, processed when a node claims the job.
        host_.db().transaction([&](Tx& tx) {
            tx.exec("INSERT INTO recording_recordings (id, title, room_id, section_id, owner_id, state, visibility, started_at_ms, "
                    "stopped_at_ms, created_at, updated_at, course_id) VALUES (?, ?, ?, ?, ?, 'processing', ?, ?, ?, ?, ?, ?)",
                    {id, spec.title, spec.roomId, spec.sectionId, spec.ownerId, spec.visibility, static_cast<long long>(spec.startedAtMs),
                     static_cast<long long>(spec.stoppedAtMs), static_cast<long long>(now), static_cast<long long>(now), spec.courseId});
            for (size_t i = 0; i < spec.sources.size(); ++i) {
                const auto& src = spec.sources[i];
                const auto bytes = static_cast<long long>(copied[i].second);
                tx.exec("INSERT INTO recording_uploads (id, recording_id, owner_id, kind, filename, media_type, metadata, upload_length, "
                        "received, state, started_at_ms, expires_at, completed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, "
                        "'complete', ?, ?, ?, ?)",
                        {copied[i].first, id, spec.ownerId, src.kind, std::filesystem::path(src.path).filename().string(),
                         mediaTypeOf(src.path), bytes, bytes, static_cast<long long>(src.startedAtMs), static_cast<long long>(now),
                         static_cast<long long>(now), static_cast<long long>(now)});
            }
        });
    } catch (...) {
        store_->removeRecording(id);
        throw;
    }
    usageChanged();
    settleRecording(id);
    host_.log().info("recording imported", {{"recording_id", id}, {"sources", std::to_string(spec.sources.size())}});
    return id;
}

int RecordingService::reprocessCommand(const std::vector<std::string>& args)
{
    if (args.size() != 1) {
        std::fprintf(stderr, "usage: vtpctl recording reprocess ID\n");
        return 2;
    }
    try {
        reprocess(loadRecording(args[0]), "");
    } catch (const HttpError& e) {
        std::fprintf(stderr, "vtpctl recording reprocess: %s\n", e.detail().c_str());
        return 1;
    }
    std::printf("recording %s queued for processing\n", args[0].c_str());
    return 0;
}

int RecordingService::deleteCommand(const std::vector<std::string>& args)
{
    if (args.size() != 1) {
        std::fprintf(stderr, "usage: vtpctl recording delete ID\n");
        return 2;
    }
    prepareCli();
    try {
        removeRecording(loadRecording(args[0]), "", "vtpctl");
    } catch (const HttpError& e) {
        std::fprintf(stderr, "vtpctl recording delete: %s\n", e.detail().c_str());
        return 1;
    }
    std::printf("recording %s deleted\n", args[0].c_str());
    return 0;
}

} // namespace vtp::recording
