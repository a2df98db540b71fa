// Lingering close from the wire: a request answered before its body was read (413, 401, 403,
// 404) while its client goes on sending that body. The client must be able to send on and read
// the whole answer, as nginx's lingering_close allows, and vtpd must stop reading at its bounds
// (4 MiB, 5 s) all the same.
#include "HttpTestSupport.hpp"
#include "PollUntil.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <thread>

using namespace vtp::test;

namespace {

constexpr size_t kPiece = 64 << 10;

// Sends without SIGPIPE; the errno of a failure, 0 if all of it went.
int sendAll(int fd, std::string_view bytes)
{
    size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? errno : EIO;
        off += static_cast<size_t>(n);
    }
    return 0;
}

// Whether something (the answer) has arrived within `ms`.
bool readable(int fd, int ms)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1;
}

// 0 when the server ended the stream with a FIN, the errno when it reset it, -1 for more data.
int endOfStream(int fd)
{
    char c;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    return n == 0 ? 0 : n < 0 ? errno : -1;
}

std::string head(const std::string& requestLine, const std::string& headers = {})
{
    return requestLine + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1073741824\r\n" + headers +
           "\r\n";
}

struct Refusal {
    std::string request;
    int status;
    std::string type;
};

class LingeringClose : public VtpdSuite<LingeringClose> {
public:
    static VtpdOptions options()
    {
        VtpdOptions o;
        o.enabled = {"hello", "testkit"};
        o.extraToml = "[plugins.testkit]\nverifier = true\n"; // 401 and 403 on testkit's upload route
        return o;
    }

protected:
    // A 1 GiB upload to testkit's 64 KiB route, refused with 413 before its body: the answer is read.
    static void refusedAndRead(RawHttpConnection& c)
    {
        c.send(head("PUT /api/v1/testkit/upload-small"));
        const auto r = c.readResponse();
        ASSERT_EQ(r.status, 413) << r.body;
        ASSERT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:body-too-large");
    }
};

} // namespace

TEST_F(LingeringClose, ASilentClientIsClosedAtTheTimeBound)
{
    RawHttpConnection c(vtpd_->httpPort());
    refusedAndRead(c);
    EXPECT_EQ(endOfStream(c.socket().impl()->sockfd()), 0); // the FIN after the answer
    // The client keeps its end open and sends nothing: vtpd closes its own 5 s after the answer.
    const auto serverPort = static_cast<uint16_t>(vtpd_->httpPort());
    const uint16_t clientPort = c.socket().address().port();
    EXPECT_GT(serverSocketInode(serverPort, clientPort), 0); // vtpd still holds its end
    EXPECT_TRUE(pollUntil([&] { return serverSocketInode(serverPort, clientPort) <= 0; }, std::chrono::seconds(20)))
        << "vtpd still holds the connection (inode " << serverSocketInode(serverPort, clientPort) << ")";
}

TEST_F(LingeringClose, AClientStillSendingARefusedBodyReadsTheWholeAnswer)
{
    const std::vector<Refusal> refusals = {
        {head("PUT /api/v1/testkit/upload-small"), 413, "body-too-large"}, // streamed, announced too large
        {head("PUT /api/v1/testkit/upload/nope"), 401, "unauthorized"},    // streamed, no token
        {head("PUT /api/v1/testkit/upload/nope", "Authorization: " + testkitToken("bob", "student") + "\r\n"), 403, "forbidden"},
        {head("PUT /api/v1/testkit/upload/refused", "Authorization: " + testkitToken("ann", "uploader") + "\r\n"), 409, "refused"},
        {head("POST /api/v1/no/such/route"), 404, "not-found"},
        {head("POST /api/v1/hello/echo"), 413, "body-too-large"}, // a whole-body route over its limit
    };
    const std::string piece(kPiece, 'b');
    for (const auto& [request, status, type] : refusals) {
        SCOPED_TRACE(request.substr(0, request.find('\r')));
        RawHttpConnection c(vtpd_->httpPort());
        const int fd = c.socket().impl()->sockfd();
        ASSERT_EQ(sendAll(fd, request), 0);
        // The answer is here, so vtpd is done with the request; the client, like most, sends its
        // body on regardless (1 MiB of it) before it reads.
        ASSERT_TRUE(readable(fd, 10000));
        for (int i = 0; i < 16; ++i) ASSERT_EQ(sendAll(fd, piece), 0) << "piece " << i << ": the connection was reset";
        const auto r = c.readResponse();
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_TRUE(r.complete);
        EXPECT_EQ(r.header("content-type"), "application/problem+json");
        EXPECT_EQ(r.header("connection"), "close");
        EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:" + type) << r.body;
        EXPECT_EQ(endOfStream(fd), 0) << "the answer should end with a FIN, not a reset";
    }
}

TEST_F(LingeringClose, ASlowClientStillSendingARefusedBodyReadsTheWholeAnswer)
{
    RawHttpConnection c(vtpd_->httpPort());
    const int fd = c.socket().impl()->sockfd();
    ASSERT_EQ(sendAll(fd, head("PUT /api/v1/testkit/upload-small")), 0);
    ASSERT_TRUE(readable(fd, 10000));
    // A client on a slow link: a little now and then (its pace, not a wait for vtpd).
    const std::string piece(1024, 's');
    for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(sendAll(fd, piece), 0) << "piece " << i << ": the connection was reset";
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto r = c.readResponse();
    EXPECT_EQ(r.status, 413) << r.body;
    EXPECT_EQ(jsonString(r.json(), "type"), "urn:vtp:problem:body-too-large");
    EXPECT_EQ(endOfStream(fd), 0);
}

TEST_F(LingeringClose, ReadingStopsAtTheByteBound)
{
    RawHttpConnection c(vtpd_->httpPort());
    refusedAndRead(c);
    // A client that never stops: vtpd stops reading after 4 MiB and closes, so the sends fail long
    // before 64 MiB (the socket buffers on both sides hold a few MiB more).
    const int fd = c.socket().impl()->sockfd();
    const std::string piece(kPiece, 'f');
    size_t sent = 0;
    int error = 0;
    while (sent < (64u << 20) && (error = sendAll(fd, piece)) == 0) sent += piece.size();
    EXPECT_TRUE(error == ECONNRESET || error == EPIPE) << "sent " << sent << " bytes; errno " << error;
    EXPECT_LT(sent, 64u << 20);
}

TEST_F(LingeringClose, ReadingStopsAtTheTimeBound)
{
    RawHttpConnection c(vtpd_->httpPort());
    refusedAndRead(c);
    // A client that trickles on for ever: vtpd closes 5 s after its answer (checked at most every
    // quarter second), and the next send fails.
    const int fd = c.socket().impl()->sockfd();
    const auto start = std::chrono::steady_clock::now();
    int error = 0;
    EXPECT_TRUE(pollUntil([&] { return (error = sendAll(fd, std::string(100, 't'))) != 0; }, std::chrono::seconds(30),
                          std::chrono::milliseconds(100)));
    EXPECT_TRUE(error == ECONNRESET || error == EPIPE) << "errno " << error;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}
