// Cross-check with the stock JavaScript parsers (socket.io-parser, engine.io-parser; exact
// versions in npm/package-lock.json): npm/golden.mjs encodes the packets of npm/cases.json, and
// decodes ours. Both directions must agree byte for byte and value for value, and both decoders
// must refuse the same malformed packets.
#include "protocol/Binary.hpp"
#include "protocol/EnginePacket.hpp"
#include "protocol/JsonWriter.hpp"
#include "protocol/PollingPayload.hpp"
#include "protocol/SocketDecoder.hpp"
#include "protocol/SocketEncoder.hpp"

#include <vtp/base64.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using namespace vtp::signalling::protocol;
using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

const std::string kNpmDir = VTP_SIGNALLING_NPM_DIR;

Var parseJson(const std::string& text)
{
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
    return parser.parse(text);
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs golden.mjs; the test fails (and returns "") if node exits non-zero.
std::string runNode(const std::string& mode, const std::string& file)
{
    const std::string cmd = "'" VTP_TEST_NODE "' '" + kNpmDir + "/golden.mjs' " + mode + " '" + file + "'";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (!pipe) {
        ADD_FAILURE() << "cannot run " << cmd;
        return {};
    }
    std::string out;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
    const int status = ::pclose(pipe);
    EXPECT_EQ(status, 0) << cmd;
    return status == 0 ? out : std::string();
}

// {"$binary": base64} objects become Binary values.
Var revive(const Var& v)
{
    if (v.type() == typeid(Array::Ptr)) {
        Array::Ptr out = new Array;
        for (const auto& e : *v.extract<Array::Ptr>()) out->add(revive(e));
        return out;
    }
    if (v.type() == typeid(Object::Ptr)) {
        const auto& o = v.extract<Object::Ptr>();
        if (o->size() == 1 && o->has("$binary")) return Binary(vtp::base64Decode(o->getValue<std::string>("$binary")).value());
        Object::Ptr out = new Object(true);
        for (const auto& name : o->getNames()) out->set(name, revive(o->get(name)));
        return out;
    }
    return v;
}

// The reverse: Binary values become {"$binary": base64}, so trees compare as JSON text.
Var flatten(const Var& v)
{
    if (auto b = Binary::from(v)) {
        Object::Ptr o = new Object(true);
        o->set("$binary", vtp::base64Encode(b->bytes()));
        return o;
    }
    if (v.type() == typeid(Array::Ptr)) {
        Array::Ptr out = new Array;
        for (const auto& e : *v.extract<Array::Ptr>()) out->add(flatten(e));
        return out;
    }
    if (v.type() == typeid(Object::Ptr)) {
        const auto& o = v.extract<Object::Ptr>();
        Object::Ptr out = new Object(true);
        for (const auto& name : o->getNames()) out->set(name, flatten(o->get(name)));
        return out;
    }
    return v;
}

std::string jsonText(const Var& v)
{
    std::string out;
    auto r = JsonWriter::appendValue(out, v, nullptr);
    EXPECT_TRUE(r.ok());
    return out;
}

// A packet as golden.mjs normalises it: {"type","nsp","id"?,"data"?}, binary types folded.
std::string normalise(int type, const std::string& nsp, std::optional<std::uint64_t> id, const Var& data)
{
    Object::Ptr o = new Object(true);
    o->set("type", type == 5 ? 2 : type == 6 ? 3 : type);
    o->set("nsp", nsp);
    if (id) o->set("id", static_cast<Poco::UInt64>(*id));
    if (!data.isEmpty()) o->set("data", flatten(data));
    return jsonText(o);
}

struct Case {
    std::string name;
    int type = 0;
    std::string nsp;
    std::optional<std::uint64_t> id;
    Var data; // with Binary values
};

const Object::Ptr& casesFile()
{
    static const Object::Ptr cases = parseJson(readFile(kNpmDir + "/cases.json")).extract<Object::Ptr>();
    return cases;
}

std::vector<Case> packetCases()
{
    std::vector<Case> out;
    for (const auto& c : *casesFile()->getArray("packets")) {
        const auto& o = c.extract<Object::Ptr>();
        const auto p = o->getObject("packet");
        Case k;
        k.name = o->getValue<std::string>("name");
        k.type = p->getValue<int>("type");
        k.nsp = p->getValue<std::string>("nsp");
        if (p->has("id")) k.id = p->getValue<Poco::UInt64>("id");
        if (p->has("data")) k.data = revive(p->get("data"));
        out.push_back(std::move(k));
    }
    return out;
}

EncodedSocketPacket encodeCase(const Case& c)
{
    auto e = SocketEncoder::encode(static_cast<SocketPacketType>(c.type), c.nsp, c.data, c.id);
    EXPECT_TRUE(e.ok()) << c.name << ": " << (e.ok() ? "" : e.error().message);
    return e.ok() ? e.value() : EncodedSocketPacket{};
}

std::string pollingBody(const EncodedSocketPacket& e)
{
    std::string body;
    PollingPayload::appendText(body, e.text);
    for (const auto& a : e.attachments) PollingPayload::appendBinary(body, a);
    return body;
}

// What the stock parsers produced for each case (one node run for all tests).
const Array::Ptr& stockEncodings()
{
    static const Array::Ptr encoded = [] {
        const std::string out = runNode("encode", kNpmDir + "/cases.json");
        return out.empty() ? Array::Ptr(new Array) : parseJson(out).extract<Array::Ptr>();
    }();
    return encoded;
}

Result<SocketPacket> decodeMessages(const std::vector<EnginePacket>& messages)
{
    SocketDecoder decoder;
    std::optional<SocketPacket> done;
    for (const auto& m : messages) {
        if (done) return ProtocolError(ProtocolErrc::BadArgument, "more messages after a complete packet");
        auto r = decoder.add(m);
        if (!r) return r.error();
        done = std::move(r).value();
    }
    if (!done) return ProtocolError(ProtocolErrc::BadArgument, "incomplete packet");
    return std::move(*done);
}

std::string normaliseDecoded(const SocketPacket& p)
{
    auto data = p.data();
    EXPECT_TRUE(data.ok());
    return normalise(static_cast<int>(p.type), p.nsp, p.id, data.ok() ? *data : Var());
}

} // namespace

TEST(NpmGolden, OurEncodingsEqualTheStockParsersByteForByte)
{
    const auto cases = packetCases();
    const auto& stock = stockEncodings();
    ASSERT_EQ(stock->size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto s = stock->getObject(static_cast<unsigned>(i));
        ASSERT_EQ(s->getValue<std::string>("name"), cases[i].name);
        const auto ours = encodeCase(cases[i]);
        const auto ws = s->getArray("ws");
        ASSERT_EQ(ws->size(), 1 + ours.attachments.size()) << cases[i].name;
        EXPECT_EQ(ws->getObject(0)->getValue<std::string>("text"), ours.text) << cases[i].name;
        for (std::size_t a = 0; a < ours.attachments.size(); ++a)
            EXPECT_EQ(vtp::base64Decode(ws->getObject(static_cast<unsigned>(a + 1))->getValue<std::string>("binary")), ours.attachments[a])
                << cases[i].name << " attachment " << a;
        EXPECT_EQ(s->getValue<std::string>("polling"), pollingBody(ours)) << cases[i].name;
    }
}

TEST(NpmGolden, OurDecoderReadsTheStockEncodings)
{
    const auto cases = packetCases();
    const auto& stock = stockEncodings();
    ASSERT_EQ(stock->size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& c = cases[i];
        const std::string expected = normalise(c.type, c.nsp, c.id, c.data);
        const auto s = stock->getObject(static_cast<unsigned>(i));

        // WebSocket: one frame per Engine.IO packet.
        std::vector<EnginePacket> frames;
        for (const auto& f : *s->getArray("ws")) {
            const auto& o = f.extract<Object::Ptr>();
            auto packet = o->has("text")
                              ? EnginePacket::decodeText(o->getValue<std::string>("text"), 1000000)
                              : EnginePacket::decodeBinary(vtp::base64Decode(o->getValue<std::string>("binary")).value(), 1000000);
            ASSERT_TRUE(packet.ok()) << c.name;
            frames.push_back(std::move(packet).value());
        }
        auto fromWs = decodeMessages(frames);
        ASSERT_TRUE(fromWs.ok()) << c.name << ": " << fromWs.error().message;
        EXPECT_EQ(normaliseDecoded(*fromWs), expected) << c.name;

        // Polling: one body.
        auto body = PollingPayload::decode(s->getValue<std::string>("polling"), 1000000);
        ASSERT_TRUE(body.ok()) << c.name << ": " << body.error().message;
        auto fromPolling = decodeMessages(*body);
        ASSERT_TRUE(fromPolling.ok()) << c.name << ": " << fromPolling.error().message;
        EXPECT_EQ(normaliseDecoded(*fromPolling), expected) << c.name;
    }
}

TEST(NpmGolden, TheStockParsersDecodeOurEncodings)
{
    Array::Ptr input = new Array;
    for (const auto& c : packetCases()) {
        const auto ours = encodeCase(c);
        Array::Ptr ws = new Array;
        Object::Ptr text = new Object(true);
        text->set("text", ours.text);
        ws->add(text);
        for (const auto& a : ours.attachments) {
            Object::Ptr bin = new Object(true);
            bin->set("binary", vtp::base64Encode(a));
            ws->add(bin);
        }
        Object::Ptr entry = new Object(true);
        entry->set("name", c.name);
        entry->set("ws", ws);
        entry->set("polling", pollingBody(ours));
        input->add(entry);
    }
    const std::string path = testing::TempDir() + "signalling-golden-decode.json";
    std::ofstream(path, std::ios::binary) << jsonText(input);
    const std::string out = runNode("decode", path);
    std::remove(path.c_str());
    ASSERT_FALSE(out.empty());
    const auto results = parseJson(out).extract<Array::Ptr>();
    ASSERT_EQ(results->size(), input->size());
    for (const auto& r : *results) {
        const auto& o = r.extract<Object::Ptr>();
        EXPECT_TRUE(o->getValue<bool>("match")) << jsonText(o);
    }
}

// Edge cases both decoders read alike: a namespace ending the packet ("40/custom" from clients
// that add no ',' without data), a CONNECT_ERROR without data or with a string.
TEST(NpmGolden, BothDecodersReadTheSameEdgeCases)
{
    const std::string out = runNode("accept", kNpmDir + "/cases.json");
    ASSERT_FALSE(out.empty());
    const auto stock = parseJson(out).extract<Array::Ptr>();
    const auto accepted = casesFile()->getArray("accepted");
    ASSERT_EQ(stock->size(), accepted->size());
    for (unsigned i = 0; i < accepted->size(); ++i) {
        const auto name = accepted->getObject(i)->getValue<std::string>("name");
        const auto theirs = stock->getObject(i);
        ASSERT_FALSE(theirs->has("error")) << "socket.io-parser refuses " << name << ": " << theirs->getValue<std::string>("error");
        SocketDecoder decoder;
        auto ours = decoder.addText(accepted->getObject(i)->getValue<std::string>("text"));
        ASSERT_TRUE(ours && ours->has_value()) << "our decoder refuses " << name << (ours ? "" : ": " + ours.error().message);
        const auto& p = **ours;
        EXPECT_EQ(static_cast<int>(p.type), theirs->getValue<int>("type")) << name;
        EXPECT_EQ(p.nsp, theirs->getValue<std::string>("nsp")) << name;
        if (theirs->isNull("id"))
            EXPECT_FALSE(p.id) << name;
        else
            EXPECT_EQ(p.id, theirs->getValue<uint64_t>("id")) << name;
    }
}

TEST(NpmGolden, BothDecodersRefuseTheSameMalformedPackets)
{
    const std::string out = runNode("reject", kNpmDir + "/cases.json");
    ASSERT_FALSE(out.empty());
    const auto stock = parseJson(out).extract<Array::Ptr>();
    const auto rejected = casesFile()->getArray("rejected");
    ASSERT_EQ(stock->size(), rejected->size());
    for (unsigned i = 0; i < rejected->size(); ++i) {
        const auto c = rejected->getObject(i);
        const auto name = c->getValue<std::string>("name");
        EXPECT_TRUE(stock->getObject(i)->getValue<bool>("rejected")) << "socket.io-parser accepts: " << name;
        SocketDecoder decoder;
        bool refused = false;
        for (const auto& f : *c->getArray("frames")) {
            const auto& o = f.extract<Object::Ptr>();
            auto r = o->has("text") ? decoder.addText(o->getValue<std::string>("text"))
                                    : decoder.addAttachment(vtp::base64Decode(o->getValue<std::string>("binary")).value());
            if (!r) {
                refused = true;
                break;
            }
        }
        EXPECT_TRUE(refused) << "our decoder accepts: " << name;
    }
}
