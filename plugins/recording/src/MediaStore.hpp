#pragma once

// Where a recording's bytes live: one directory per recording under the storage root, one file
// per source (upload). The one place that touches the file system, so that an S3-compatible store
// can stand in for it later. Ids are the plugin's own (never a client's text): checked anyway.
// Thread-safe (no state beyond the root).

#include <cstdint>
#include <optional>
#include <string>

namespace vtp::recording {

class MediaStore {
public:
    virtual ~MediaStore() = default;
    // Creates the empty file of a new upload, durably (the file and its directory synced).
    virtual void createUpload(const std::string& recordingId, const std::string& uploadId) = 0;
    // The upload's file path, for appending to it (vtp::FileWriter in append mode).
    virtual std::string uploadPath(const std::string& recordingId, const std::string& uploadId) const = 0;
    // Its length on disk; nothing if it does not exist.
    virtual std::optional<uint64_t> uploadSize(const std::string& recordingId, const std::string& uploadId) const = 0;
    // Cuts it back to `length` bytes (a chunk whose checksum failed), durably.
    virtual void truncateUpload(const std::string& recordingId, const std::string& uploadId, uint64_t length) = 0;
    // Syncs the upload's directory, so that the file's own entry and size survive a crash.
    virtual void syncUploadDirectory(const std::string& recordingId) = 0;
    virtual void removeUpload(const std::string& recordingId, const std::string& uploadId) = 0;
    // Removes every file of the recording.
    virtual void removeRecording(const std::string& recordingId) = 0;
    // Bytes stored for the recording.
    virtual uint64_t recordingBytes(const std::string& recordingId) const = 0;
    // Processing's output: the directory it publishes finished files in (media/, see
    // notes on the layout in README.md), and a scratch directory beside it on the same file
    // system, made empty, where the worker writes before it renames.
    virtual std::string mediaDirectory(const std::string& recordingId) const = 0;
    virtual std::string prepareWorkDirectory(const std::string& recordingId) = 0;
    virtual void removeWorkDirectory(const std::string& recordingId) = 0;
    // Live processing: the file whose presence tells a live worker that the upload is complete
    // (it holds the final length); written once the last byte is acknowledged (written aside, then
    // renamed); the upload's removal removes it too.
    virtual std::string completionPath(const std::string& recordingId, const std::string& uploadId) const = 0;
    virtual void markUploadComplete(const std::string& recordingId, const std::string& uploadId, uint64_t length) = 0;
    // The live worker's scratch directory (beside media/, made empty), and its removal.
    virtual std::string prepareLiveDirectory(const std::string& recordingId) = 0;
    virtual void removeLiveDirectory(const std::string& recordingId) = 0;
    // A file of the recording's processed output, `media/NAME` (a flat name: media::safeName), as a
    // local path the kernel sends with sendfile. Throws std::invalid_argument for an unsafe name.
    virtual std::string mediaPath(const std::string& recordingId, const std::string& name) const = 0;
    // Whether that file exists (a regular file).
    virtual bool hasMedia(const std::string& recordingId, const std::string& name) const = 0;
};

// The local (or shared, NFS/CephFS) directory store.
class DirectoryStore : public MediaStore {
public:
    // Creates `root` if missing; throws std::runtime_error if it cannot be created or written.
    explicit DirectoryStore(std::string root);
    const std::string& root() const { return root_; }

    void createUpload(const std::string& recordingId, const std::string& uploadId) override;
    std::string uploadPath(const std::string& recordingId, const std::string& uploadId) const override;
    std::optional<uint64_t> uploadSize(const std::string& recordingId, const std::string& uploadId) const override;
    void truncateUpload(const std::string& recordingId, const std::string& uploadId, uint64_t length) override;
    void syncUploadDirectory(const std::string& recordingId) override;
    void removeUpload(const std::string& recordingId, const std::string& uploadId) override;
    void removeRecording(const std::string& recordingId) override;
    uint64_t recordingBytes(const std::string& recordingId) const override;
    std::string mediaDirectory(const std::string& recordingId) const override;
    std::string prepareWorkDirectory(const std::string& recordingId) override;
    void removeWorkDirectory(const std::string& recordingId) override;
    std::string completionPath(const std::string& recordingId, const std::string& uploadId) const override;
    void markUploadComplete(const std::string& recordingId, const std::string& uploadId, uint64_t length) override;
    std::string prepareLiveDirectory(const std::string& recordingId) override;
    void removeLiveDirectory(const std::string& recordingId) override;
    std::string mediaPath(const std::string& recordingId, const std::string& name) const override;
    bool hasMedia(const std::string& recordingId, const std::string& name) const override;

private:
    std::string recordingDir(const std::string& recordingId) const;
    std::string root_;
};

// True for the ids this plugin makes (letters, digits, '-'; 1..64): safe as a path component.
bool safeId(const std::string& id);

} // namespace vtp::recording
