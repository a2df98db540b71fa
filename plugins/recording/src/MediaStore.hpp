#pragma once

// Where a recording's bytes live: the one interface between the plugin and its storage, so that
// another store (S3-compatible object storage) can stand beside the directory store later. Ids
// are the plugin's own (never a client's text): checked anyway. Implementations are thread-safe.
//
// What a store must do, and how an object store would do it:
// - Sources (tus uploads) grow by appends that must be durable before they are acknowledged:
//   createUpload, uploadPath (appended to with vtp::FileWriter, then synced), uploadSize (the
//   truth after a crash), truncateUpload, syncUploadDirectory, removeUpload, importUpload. An
//   object store has no append: it would keep the growing file in a local staging directory
//   (these calls unchanged) and put the finished source as an object (multipart) once complete.
// - The media worker reads sources and writes its output as local files (uploadPath,
//   mediaDirectory, prepareWorkDirectory, removeWorkDirectory): an object store would fetch
//   sources to the staging directory first and put media/ as objects after the worker ran.
// - Playback sends files with sendfile (mediaPath, hasMedia): an object store would answer with
//   a redirect to a presigned URL instead, or keep a local cache of media/.
// - Accounting (mediaBytes, freeBytes) and removal (removeRecording). Usage and quotas are
//   counted in the database (bytes acknowledged, mediaBytes after processing), not by listing
//   the store, so they cost the same for any store.

#include <cstdint>
#include <optional>
#include <string>

namespace vtp::recording {

class MediaStore {
public:
    virtual ~MediaStore() = default;
    // What kind of store this is ("directory"): the label of its metrics.
    virtual std::string kind() const = 0;
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
    // Bytes stored for the recording (sources, output, scratch).
    virtual uint64_t recordingBytes(const std::string& recordingId) const = 0;
    // Bytes of its processed output (media/).
    virtual uint64_t mediaBytes(const std::string& recordingId) const = 0;
    // Copies a finished file (vtpctl recording import) in as a new upload's bytes, durably: the
    // copy is written beside, synced, then renamed into place. Returns the bytes copied; throws
    // std::runtime_error when the file cannot be read or the copy written.
    virtual uint64_t importUpload(const std::string& recordingId, const std::string& uploadId, const std::string& file) = 0;
    // Bytes still free for the store (the file system's, for the directory store); nothing when
    // the store cannot tell.
    virtual std::optional<uint64_t> freeBytes() const = 0;
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
    // A media task's scratch directory (beside media/, made empty; `task` a plain name), and its
    // removal.
    virtual std::string prepareTaskDirectory(const std::string& recordingId, const std::string& task) = 0;
    virtual void removeTaskDirectory(const std::string& recordingId, const std::string& task) = 0;
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

    std::string kind() const override { return "directory"; }

    void createUpload(const std::string& recordingId, const std::string& uploadId) override;
    std::string uploadPath(const std::string& recordingId, const std::string& uploadId) const override;
    std::optional<uint64_t> uploadSize(const std::string& recordingId, const std::string& uploadId) const override;
    void truncateUpload(const std::string& recordingId, const std::string& uploadId, uint64_t length) override;
    void syncUploadDirectory(const std::string& recordingId) override;
    void removeUpload(const std::string& recordingId, const std::string& uploadId) override;
    void removeRecording(const std::string& recordingId) override;
    uint64_t recordingBytes(const std::string& recordingId) const override;
    uint64_t mediaBytes(const std::string& recordingId) const override;
    uint64_t importUpload(const std::string& recordingId, const std::string& uploadId, const std::string& file) override;
    std::optional<uint64_t> freeBytes() const override;
    std::string mediaDirectory(const std::string& recordingId) const override;
    std::string prepareWorkDirectory(const std::string& recordingId) override;
    void removeWorkDirectory(const std::string& recordingId) override;
    std::string completionPath(const std::string& recordingId, const std::string& uploadId) const override;
    void markUploadComplete(const std::string& recordingId, const std::string& uploadId, uint64_t length) override;
    std::string prepareLiveDirectory(const std::string& recordingId) override;
    void removeLiveDirectory(const std::string& recordingId) override;
    std::string prepareTaskDirectory(const std::string& recordingId, const std::string& task) override;
    void removeTaskDirectory(const std::string& recordingId, const std::string& task) override;
    std::string mediaPath(const std::string& recordingId, const std::string& name) const override;
    bool hasMedia(const std::string& recordingId, const std::string& name) const override;

private:
    std::string recordingDir(const std::string& recordingId) const;
    // A scratch directory `name` of the recording, made empty.
    std::string prepareScratch(const std::string& recordingId, const std::string& name);
    std::string root_;
};

// True for the ids this plugin makes (letters, digits, '-'; 1..64): safe as a path component.
bool safeId(const std::string& id);

} // namespace vtp::recording
