#include "MediaStore.hpp"

#include "MediaFiles.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace vtp::recording {

namespace fs = std::filesystem;

namespace {

void syncPath(const std::string& path, bool directory)
{
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
    const int rc = directory ? ::fsync(fd) : ::fdatasync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) throw std::runtime_error("cannot sync " + path + ": " + std::strerror(err));
}

} // namespace

bool safeId(const std::string& id)
{
    if (id.empty() || id.size() > 64) return false;
    for (const char c : id)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

DirectoryStore::DirectoryStore(std::string root) : root_(std::move(root))
{
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) throw std::runtime_error("cannot create the recordings directory " + root_ + ": " + ec.message());
    if (::access(root_.c_str(), W_OK) != 0) throw std::runtime_error("the recordings directory " + root_ + " is not writable");
}

std::string DirectoryStore::recordingDir(const std::string& recordingId) const
{
    if (!safeId(recordingId)) throw std::invalid_argument("not a recording id");
    return root_ + "/" + recordingId;
}

std::string DirectoryStore::uploadPath(const std::string& recordingId, const std::string& uploadId) const
{
    if (!safeId(uploadId)) throw std::invalid_argument("not an upload id");
    return recordingDir(recordingId) + "/" + uploadId;
}

void DirectoryStore::createUpload(const std::string& recordingId, const std::string& uploadId)
{
    const std::string dir = recordingDir(recordingId);
    std::error_code ec;
    const bool made = fs::create_directory(dir, ec);
    if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
    const std::string path = uploadPath(recordingId, uploadId);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
    ::close(fd);
    syncPath(dir, true);
    if (made) syncPath(root_, true);
}

std::optional<uint64_t> DirectoryStore::uploadSize(const std::string& recordingId, const std::string& uploadId) const
{
    struct stat st {};
    if (::stat(uploadPath(recordingId, uploadId).c_str(), &st) != 0) return std::nullopt;
    return static_cast<uint64_t>(st.st_size);
}

void DirectoryStore::truncateUpload(const std::string& recordingId, const std::string& uploadId, uint64_t length)
{
    const std::string path = uploadPath(recordingId, uploadId);
    if (::truncate(path.c_str(), static_cast<off_t>(length)) != 0) {
        if (errno == ENOENT) return; // terminated meanwhile: nothing to cut
        throw std::runtime_error("cannot truncate " + path + ": " + std::strerror(errno));
    }
    syncPath(path, false);
}

void DirectoryStore::syncUploadDirectory(const std::string& recordingId)
{
    syncPath(recordingDir(recordingId), true);
}

void DirectoryStore::removeUpload(const std::string& recordingId, const std::string& uploadId)
{
    std::error_code ec;
    fs::remove(uploadPath(recordingId, uploadId), ec);
    fs::remove(completionPath(recordingId, uploadId), ec);
}

std::string DirectoryStore::completionPath(const std::string& recordingId, const std::string& uploadId) const
{
    return uploadPath(recordingId, uploadId) + ".complete";
}

void DirectoryStore::markUploadComplete(const std::string& recordingId, const std::string& uploadId, uint64_t length)
{
    const std::string path = completionPath(recordingId, uploadId), tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
    const std::string text = std::to_string(length) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    // Renamed whole: the worker never reads half a number. Not synced: after a crash the plugin
    // writes it again from the database (the live job's runner checks the upload's state).
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

std::string DirectoryStore::prepareLiveDirectory(const std::string& recordingId)
{
    return prepareScratch(recordingId, ".live");
}

std::string DirectoryStore::prepareTaskDirectory(const std::string& recordingId, const std::string& task)
{
    if (!safeId(task)) throw std::invalid_argument("not a task name");
    return prepareScratch(recordingId, ".task-" + task);
}

void DirectoryStore::removeTaskDirectory(const std::string& recordingId, const std::string& task)
{
    if (!safeId(task)) throw std::invalid_argument("not a task name");
    std::error_code ec;
    fs::remove_all(recordingDir(recordingId) + "/.task-" + task, ec);
}

std::string DirectoryStore::prepareScratch(const std::string& recordingId, const std::string& name)
{
    const std::string dir = recordingDir(recordingId) + "/" + name;
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
    return dir;
}

void DirectoryStore::removeLiveDirectory(const std::string& recordingId)
{
    std::error_code ec;
    fs::remove_all(recordingDir(recordingId) + "/.live", ec);
}

void DirectoryStore::removeRecording(const std::string& recordingId)
{
    std::error_code ec;
    fs::remove_all(recordingDir(recordingId), ec);
    if (ec) throw std::runtime_error("cannot remove " + recordingDir(recordingId) + ": " + ec.message());
}

uint64_t DirectoryStore::recordingBytes(const std::string& recordingId) const
{
    uint64_t total = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(recordingDir(recordingId), ec))
        if (e.is_regular_file(ec)) total += e.file_size(ec);
    return total;
}

uint64_t DirectoryStore::mediaBytes(const std::string& recordingId) const
{
    uint64_t total = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(mediaDirectory(recordingId), ec))
        if (e.is_regular_file(ec)) total += e.file_size(ec);
    return total;
}

uint64_t DirectoryStore::importUpload(const std::string& recordingId, const std::string& uploadId, const std::string& file)
{
    const std::string dir = recordingDir(recordingId);
    const std::string path = uploadPath(recordingId, uploadId);
    const std::string partial = dir + "/." + uploadId + ".import";
    std::error_code ec;
    const bool made = fs::create_directory(dir, ec);
    if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
    fs::copy_file(file, partial, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        fs::remove(partial, ec);
        throw std::runtime_error("cannot copy " + file + ": " + ec.message());
    }
    syncPath(partial, false);
    if (::rename(partial.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + partial + ": " + std::strerror(errno));
    syncPath(dir, true);
    if (made) syncPath(root_, true);
    return static_cast<uint64_t>(fs::file_size(path));
}

std::optional<uint64_t> DirectoryStore::freeBytes() const
{
    struct statvfs st {};
    if (::statvfs(root_.c_str(), &st) != 0) return std::nullopt;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

std::string DirectoryStore::mediaDirectory(const std::string& recordingId) const
{
    return recordingDir(recordingId) + "/media";
}

std::string DirectoryStore::prepareWorkDirectory(const std::string& recordingId)
{
    const std::string dir = recordingDir(recordingId) + "/.processing";
    std::error_code ec;
    fs::remove_all(dir, ec); // what an interrupted attempt left
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create " + dir + ": " + ec.message());
    return dir;
}

void DirectoryStore::removeWorkDirectory(const std::string& recordingId)
{
    std::error_code ec;
    fs::remove_all(recordingDir(recordingId) + "/.processing", ec);
}

std::string DirectoryStore::mediaPath(const std::string& recordingId, const std::string& name) const
{
    if (!media::safeName(name)) throw std::invalid_argument("not a media file name");
    return recordingDir(recordingId) + "/media/" + name;
}

bool DirectoryStore::hasMedia(const std::string& recordingId, const std::string& name) const
{
    struct stat st {};
    return ::stat(mediaPath(recordingId, name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

} // namespace vtp::recording
