#pragma once

// How the files of a recording's processed output are answered: their media type, how long
// caches keep them, and the download's file name. Pure C++, unit-tested alone.

#include <string>
#include <string_view>

namespace vtp::recording::media {

// True for the names of processed output (letters, digits, '.', '_', '-'; 1..128; no leading '.'):
// a file directly in media/, never a path, never "." or "..".
bool safeName(std::string_view name);

// By extension: m3u8, mpd, mp4, m4s, m4a, vtt, jpg, png; anything else application/octet-stream.
std::string contentType(std::string_view name);

// Playlists and the thumbnail track (m3u8, mpd, vtt) may change while processing goes on; every
// other file is immutable once a playlist names it.
bool isPlaylist(std::string_view name);

// Content-Disposition of the download: attachment, the title as the file name (filename= with
// only safe ASCII; filename*= with the whole title in UTF-8 when it
// is not ASCII), ".mp4" appended.
std::string downloadDisposition(std::string_view title);

} // namespace vtp::recording::media
