#pragma once

// The state file beside each archive (archive-N.state, ArchiveWriter.hpp): how much of
// archive-N.mp4 is whole fragments, where its media ends and when its first publish began. Written
// by the ingest worker after each fragment, read by the worker that continues the archive and by
// the plugin that imports it. Pure C++: shared by both.

#include <cstdint>
#include <string>
#include <vector>

namespace vtp::streaming::ingest {

struct ArchiveState {
    int64_t initBytes = 0;   // the init segment (ftyp+moov) at the file's start
    int64_t bytes = 0;       // the file's length up to its last whole fragment
    int64_t endUs = 0;       // the end of its media on its own timeline
    int64_t startedAtMs = 0; // the server's time of day of its first publish's instant 0
    int64_t publishes = 0;   // publishes it holds, one after the other
};

// Reads an archive-N.state; false if it is missing or malformed.
bool readArchiveState(const std::string& path, ArchiveState& out);
std::string formatArchiveState(const ArchiveState& s);

// The archives in `dir`, oldest first: (N, its state); those whose state cannot be read are left out.
std::vector<std::pair<int, ArchiveState>> listArchives(const std::string& dir);
std::string archiveMedia(const std::string& dir, int n);     // DIR/archive-N.mp4
std::string archiveStateFile(const std::string& dir, int n); // DIR/archive-N.state

} // namespace vtp::streaming::ingest
