#include "Cmcd.hpp"

#include <algorithm>
#include <array>

namespace vtp::streaming {

namespace {

// One parsed RFC 8941 bare item.
struct Item {
    enum class Kind { Boolean, Integer, Decimal, String, Token } kind = Kind::Boolean;
    bool boolean = true;
    int64_t integer = 0; // Integer; Decimal in thousandths
    std::string text;    // String (unescaped) or Token
    std::string_view raw;
};

constexpr std::array<std::string_view, 9> kObjectTypes{"m", "a", "v", "av", "i", "c", "tt", "k", "o"};
constexpr std::array<std::string_view, 4> kFormats{"d", "h", "s", "o"};
constexpr std::array<std::string_view, 2> kStreamTypes{"v", "l"};

bool isAlpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}
bool isKeyChar(char c)
{
    return isAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '.' || c == '*';
}
bool isTokenChar(char c)
{
    // RFC 9110 tchar, plus ':' and '/' (RFC 8941 sf-token).
    return isAlpha(c) || isDigit(c) || (c != 0 && std::string_view("!#$%&'*+-.^_`|~:/").find(c) != std::string_view::npos);
}

template <size_t N>
int indexOf(const std::array<std::string_view, N>& names, std::string_view s)
{
    for (size_t i = 0; i < N; ++i)
        if (names[i] == s) return static_cast<int>(i);
    return -1;
}

class Parser {
public:
    Parser(CmcdData& data, std::vector<std::string>& seen) : data_(data), seen_(seen) {}

    // Reads one dictionary into data_; empty on success, else why not.
    std::string parse(std::string_view s)
    {
        s_ = s;
        i_ = 0;
        skipSpaces();
        if (i_ == s_.size()) return {};
        for (;;) {
            const std::string_view key = readKey();
            if (key.empty()) return "a key is expected at offset " + std::to_string(i_);
            Item item;
            if (i_ < s_.size() && s_[i_] == '=') {
                ++i_;
                const size_t start = i_;
                if (std::string why = readItem(item); !why.empty()) return "key " + std::string(key) + ": " + why;
                item.raw = s_.substr(start, i_ - start);
            }
            if (std::find(seen_.begin(), seen_.end(), key) != seen_.end()) return "key " + std::string(key) + " appears twice";
            if (seen_.size() >= kMaxCmcdKeys) return "more than " + std::to_string(kMaxCmcdKeys) + " keys";
            seen_.emplace_back(key);
            if (std::string why = store(key, item); !why.empty()) return "key " + std::string(key) + ": " + why;
            ++data_.keyCount;
            skipSpaces();
            if (i_ == s_.size()) return {};
            if (s_[i_] != ',') return "',' is expected at offset " + std::to_string(i_);
            ++i_;
            skipSpaces();
            if (i_ == s_.size()) return "a trailing ','";
        }
    }

private:
    void skipSpaces()
    {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }

    std::string_view readKey()
    {
        // CMCD's own custom-key example has capitals (com.example-myNumericKey), so they are allowed.
        const size_t start = i_;
        if (i_ < s_.size() && (isAlpha(s_[i_]) || s_[i_] == '*'))
            while (i_ < s_.size() && isKeyChar(s_[i_]) && i_ - start < 64) ++i_;
        if (i_ < s_.size() && isKeyChar(s_[i_])) return {}; // longer than 64
        return s_.substr(start, i_ - start);
    }

    std::string readItem(Item& item)
    {
        if (i_ >= s_.size()) return "a value is expected";
        const char c = s_[i_];
        if (c == '"') return readString(item);
        if (c == '?') {
            if (i_ + 1 >= s_.size() || (s_[i_ + 1] != '0' && s_[i_ + 1] != '1')) return "a boolean is ?0 or ?1";
            item.kind = Item::Kind::Boolean;
            item.boolean = s_[i_ + 1] == '1';
            i_ += 2;
            return {};
        }
        if (c == '-' || isDigit(c)) return readNumber(item);
        if (isAlpha(c) || c == '*') {
            const size_t start = i_;
            while (i_ < s_.size() && isTokenChar(s_[i_])) ++i_;
            item.kind = Item::Kind::Token;
            item.text = std::string(s_.substr(start, i_ - start));
            return {};
        }
        return "not a value";
    }

    std::string readString(Item& item)
    {
        item.kind = Item::Kind::String;
        ++i_; // the opening quote
        while (i_ < s_.size()) {
            const char c = s_[i_++];
            if (c == '"') return {};
            if (c == '\\') {
                if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\\')) return "a string escapes only \\\" and \\\\";
                item.text += s_[i_++];
            } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
                return "a string holds printable ASCII only";
            } else {
                item.text += c;
            }
        }
        return "an unterminated string";
    }

    std::string readNumber(Item& item)
    {
        const bool negative = s_[i_] == '-';
        if (negative) ++i_;
        int64_t whole = 0;
        size_t digits = 0;
        while (i_ < s_.size() && isDigit(s_[i_])) {
            if (++digits > 15) return "more than 15 digits";
            whole = whole * 10 + (s_[i_++] - '0');
        }
        if (digits == 0) return "a digit is expected";
        if (i_ < s_.size() && s_[i_] == '.') {
            if (digits > 12) return "a decimal has at most 12 integer digits";
            ++i_;
            int64_t frac = 0;
            size_t fracDigits = 0;
            while (i_ < s_.size() && isDigit(s_[i_])) {
                if (++fracDigits > 3) return "a decimal has at most 3 fraction digits";
                frac = frac * 10 + (s_[i_++] - '0');
            }
            if (fracDigits == 0) return "a decimal needs a fraction digit";
            while (fracDigits++ < 3) frac *= 10;
            item.kind = Item::Kind::Decimal;
            item.integer = (whole * 1000 + frac) * (negative ? -1 : 1);
            return {};
        }
        item.kind = Item::Kind::Integer;
        item.integer = negative ? -whole : whole;
        return {};
    }

    static std::string wantInteger(const Item& item, std::optional<int64_t>& out, int64_t min = 0)
    {
        if (item.kind != Item::Kind::Integer) return "an integer is expected";
        if (item.integer < min) return "the integer is below " + std::to_string(min);
        out = item.integer;
        return {};
    }
    static std::string wantString(const Item& item, std::optional<std::string>& out, size_t max)
    {
        if (item.kind != Item::Kind::String) return "a quoted string is expected";
        if (item.text.size() > max) return "the string is longer than " + std::to_string(max);
        out = item.text;
        return {};
    }
    template <typename E, size_t N>
    static std::string wantToken(const Item& item, std::optional<E>& out, const std::array<std::string_view, N>& names)
    {
        if (item.kind != Item::Kind::Token) return "a token is expected";
        const int i = indexOf(names, item.text);
        if (i < 0) return "the token " + item.text + " is not one of the spec's";
        out = static_cast<E>(i);
        return {};
    }

    std::string store(std::string_view key, const Item& item)
    {
        if (key == "br") return wantInteger(item, data_.br);
        if (key == "bl") return wantInteger(item, data_.bl);
        if (key == "d") return wantInteger(item, data_.d);
        if (key == "dl") return wantInteger(item, data_.dl);
        if (key == "mtp") return wantInteger(item, data_.mtp);
        if (key == "rtp") return wantInteger(item, data_.rtp);
        if (key == "tb") return wantInteger(item, data_.tb);
        if (key == "v") return wantInteger(item, data_.v, 1);
        if (key == "bs" || key == "su") {
            if (item.kind != Item::Kind::Boolean) return "a boolean (the bare key) is expected";
            (key == "bs" ? data_.bs : data_.su) = item.boolean;
            return {};
        }
        if (key == "cid") return wantString(item, data_.cid, kMaxCmcdIdBytes);
        if (key == "sid") return wantString(item, data_.sid, kMaxCmcdIdBytes);
        if (key == "nor") return wantString(item, data_.nor, kMaxCmcdNorBytes);
        if (key == "nrr") {
            if (std::string why = wantString(item, data_.nrr, kMaxCmcdIdBytes); !why.empty()) return why;
            // "<start>-<end>", either side possibly empty (RFC 9110 byte range without the unit).
            const auto& r = *data_.nrr;
            const auto dash = r.find('-');
            const auto digits = [](std::string_view s) { return std::all_of(s.begin(), s.end(), isDigit); };
            if (dash == std::string::npos || r.size() == 1 || !digits(r.substr(0, dash)) || !digits(r.substr(dash + 1)))
                return "a byte range \"start-end\" is expected";
            return {};
        }
        if (key == "ot") return wantToken(item, data_.ot, kObjectTypes);
        if (key == "sf") return wantToken(item, data_.sf, kFormats);
        if (key == "st") return wantToken(item, data_.st, kStreamTypes);
        if (key == "pr") {
            if (item.kind != Item::Kind::Decimal && item.kind != Item::Kind::Integer) return "a decimal is expected";
            const int64_t milli = item.kind == Item::Kind::Integer ? item.integer * 1000 : item.integer;
            if (milli < 0 || milli > 100000) return "the playback rate is out of range";
            data_.prMilli = milli;
            return {};
        }
        if (key.find('-') != std::string_view::npos) {
            if (data_.custom.size() >= kMaxCmcdCustomKeys || key.size() > kMaxCmcdCustomBytes || item.raw.size() > kMaxCmcdCustomBytes)
                ++data_.droppedCustomKeys;
            else
                data_.custom.push_back({std::string(key), std::string(item.raw)});
            return {};
        }
        ++data_.unknownKeys; // a key of a later CMCD version: well-formed, not read
        return {};
    }

    CmcdData& data_;
    std::vector<std::string>& seen_;
    std::string_view s_;
    size_t i_ = 0;
};

int hexValue(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string quote(std::string_view s)
{
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

} // namespace

bool CmcdData::isMedia() const
{
    if (!ot) return d.has_value() || br.has_value();
    return *ot == CmcdObjectType::Audio || *ot == CmcdObjectType::Video || *ot == CmcdObjectType::Muxed || *ot == CmcdObjectType::Other;
}

bool CmcdData::isVideo() const
{
    if (!ot) return br.has_value();
    return *ot == CmcdObjectType::Video || *ot == CmcdObjectType::Muxed;
}

Parsed<CmcdData> parseCmcd(std::string_view payload)
{
    if (payload.size() > kMaxCmcdBytes) return Parsed<CmcdData>::fail("CMCD is longer than " + std::to_string(kMaxCmcdBytes) + " bytes");
    CmcdData data;
    std::vector<std::string> seen;
    if (std::string why = Parser(data, seen).parse(payload); !why.empty()) return Parsed<CmcdData>::fail("CMCD: " + why);
    return Parsed<CmcdData>::ok(std::move(data));
}

Parsed<CmcdData> parseCmcdQuery(std::string_view query)
{
    std::optional<std::string> value;
    size_t pos = 0;
    while (pos <= query.size()) {
        const size_t amp = std::min(query.find('&', pos), query.size());
        const std::string_view pair = query.substr(pos, amp - pos);
        pos = amp + 1;
        const size_t eq = std::min(pair.find('='), pair.size());
        if (pair.substr(0, eq) != "CMCD") continue;
        if (value) return Parsed<CmcdData>::fail("CMCD is given twice");
        const std::string_view raw = eq < pair.size() ? pair.substr(eq + 1) : std::string_view();
        if (raw.size() > 3 * kMaxCmcdBytes) return Parsed<CmcdData>::fail("CMCD is too long");
        std::string decoded;
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] != '%') {
                decoded += raw[i];
                continue;
            }
            const int hi = i + 2 < raw.size() ? hexValue(raw[i + 1]) : -1, lo = i + 2 < raw.size() ? hexValue(raw[i + 2]) : -1;
            if (hi < 0 || lo < 0) return Parsed<CmcdData>::fail("CMCD has a malformed percent escape");
            decoded += static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        value = std::move(decoded);
    }
    if (!value) return Parsed<CmcdData>::ok(CmcdData{});
    return parseCmcd(*value);
}

Parsed<CmcdData> parseCmcdHeaders(const CmcdHeaders& h)
{
    if (h.request.size() + h.object.size() + h.status.size() + h.session.size() > kMaxCmcdBytes)
        return Parsed<CmcdData>::fail("the CMCD headers are longer than " + std::to_string(kMaxCmcdBytes) + " bytes");
    CmcdData data;
    std::vector<std::string> seen;
    for (const auto& [name, text] : {std::pair{"CMCD-Request", h.request}, std::pair{"CMCD-Object", h.object},
                                     std::pair{"CMCD-Status", h.status}, std::pair{"CMCD-Session", h.session}}) {
        if (text.empty()) continue;
        if (std::string why = Parser(data, seen).parse(text); !why.empty()) return Parsed<CmcdData>::fail(std::string(name) + ": " + why);
    }
    return Parsed<CmcdData>::ok(std::move(data));
}

std::string formatCmcd(const CmcdData& d)
{
    std::string out;
    const auto add = [&out](std::string_view key, const std::string& value) {
        if (!out.empty()) out += ',';
        out += key;
        if (!value.empty()) {
            out += '=';
            out += value;
        }
    };
    const auto boolean = [&add](std::string_view key, const std::optional<bool>& b) {
        if (b) add(key, *b ? std::string() : std::string("?0"));
    };
    const auto integer = [&add](std::string_view key, const std::optional<int64_t>& n) {
        if (n) add(key, std::to_string(*n));
    };
    integer("bl", d.bl);
    integer("br", d.br);
    boolean("bs", d.bs);
    if (d.cid) add("cid", quote(*d.cid));
    integer("d", d.d);
    integer("dl", d.dl);
    integer("mtp", d.mtp);
    if (d.nor) add("nor", quote(*d.nor));
    if (d.nrr) add("nrr", quote(*d.nrr));
    if (d.ot) add("ot", std::string(kObjectTypes[static_cast<size_t>(*d.ot)]));
    if (d.prMilli) {
        std::string frac = std::to_string(*d.prMilli % 1000);
        frac.insert(0, 3 - frac.size(), '0');
        while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
        add("pr", std::to_string(*d.prMilli / 1000) + "." + frac);
    }
    integer("rtp", d.rtp);
    if (d.sf) add("sf", std::string(kFormats[static_cast<size_t>(*d.sf)]));
    if (d.sid) add("sid", quote(*d.sid));
    if (d.st) add("st", std::string(kStreamTypes[static_cast<size_t>(*d.st)]));
    boolean("su", d.su);
    integer("tb", d.tb);
    integer("v", d.v);
    for (const auto& c : d.custom) add(c.key, c.value);
    return out;
}

bool sameCmcd(const CmcdData& a, const CmcdData& b)
{
    return a.br == b.br && a.bl == b.bl && a.d == b.d && a.dl == b.dl && a.mtp == b.mtp && a.rtp == b.rtp && a.tb == b.tb && a.bs == b.bs &&
           a.su == b.su && a.cid == b.cid && a.sid == b.sid && a.nor == b.nor && a.nrr == b.nrr && a.ot == b.ot && a.sf == b.sf &&
           a.st == b.st && a.prMilli == b.prMilli && a.v == b.v && a.custom == b.custom;
}

} // namespace vtp::streaming
