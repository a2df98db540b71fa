// A live poll, as a third party would write it against the SDK: an instructor opens a question
// on the "/poll" namespace, every student is asked (an event the student acknowledges with the
// answer), and everyone sees the tally. The question may carry a picture (a binary attachment).
#include <vtp/sdk.hpp>
#include <vtp/socketio.hpp>

#include <map>
#include <mutex>
#include <set>

namespace {

const std::string kNsp = "/poll";

class PollPlugin : public vtp::Plugin {
public:
    static vtp::PluginInfo info()
    {
        return {.name = "poll",
                .version = "0.1.0",
                .description = "A live poll on its own Socket.IO namespace",
                .dependencies = {"signalling"}};
    }

    void init(vtp::Host& host) override
    {
        io_ = vtp::SocketIo::find(host);
        if (!io_) throw vtp::PluginError("the signalling plugin's vtp.socketio service is missing");
        io_->addNamespace(kNsp, {
                                    .requireAuth = true,
                                    .onConnect = [this](const vtp::SioSocket& s) -> std::optional<std::string> {
                                        std::lock_guard lock(mutex_);
                                        if (s.hasRole("instructor") || s.hasRole("admin"))
                                            instructors_.insert(s.id);
                                        else
                                            students_.insert(s.id);
                                        io_->join(kNsp, s.id, "watchers"); // everyone watches the tally
                                        return std::nullopt;
                                    },
                                    .onEvent = [this](const vtp::SioSocket& s, const vtp::SioEvent& e) { onEvent(s, e); },
                                    .onDisconnect =
                                        [this](const vtp::SioSocket& s, const std::string&) {
                                            std::lock_guard lock(mutex_);
                                            instructors_.erase(s.id);
                                            students_.erase(s.id);
                                        },
                                });
    }

private:
    void onEvent(const vtp::SioSocket& s, const vtp::SioEvent& e)
    {
        if (e.name == "poll:auth") {
            // What the plugin was told of the client's CONNECT auth payload (the token removed).
            io_->ack(kNsp, s.id, e.ackId, vtp::Json::arrayOf(std::vector<std::string>{s.authJson}));
            return;
        }
        if (e.name != "poll:open") {
            if (e.ackId >= 0) io_->ack(kNsp, s.id, e.ackId, vtp::Json::arrayOf(std::vector<std::string>{"unknown event"}));
            return;
        }
        if (!s.hasRole("instructor") && !s.hasRole("admin")) {
            io_->ack(kNsp, s.id, e.ackId, array(vtp::Json{{"error", "only instructors open polls"}}));
            return;
        }
        const vtp::Json q = e.args.at(0);
        std::vector<std::string> students;
        int poll = 0;
        {
            std::lock_guard lock(mutex_);
            poll = ++lastPoll_;
            options_[poll] = q["options"].size();
            counts_[poll] = std::vector<int64_t>(options_[poll], 0);
            students.assign(students_.begin(), students_.end());
        }
        io_->ack(kNsp, s.id, e.ackId, array(vtp::Json{{"poll", poll}, {"asked", static_cast<int64_t>(students.size())}}));
        // Ask each student; the acknowledgement is the answer. The picture, if any, goes along.
        vtp::Json question{{"poll", poll}, {"question", q["question"]}, {"options", q["options"]}};
        if (!e.attachments.empty()) question.set("picture", vtp::SocketIo::binary(0));
        for (const auto& id : students) {
            if (e.attachments.empty()) {
                io_->emitWithAck(kNsp, id, "poll:question", array(question),
                                 [this, poll](const vtp::Json& reply, const std::vector<std::string>&) { answer(poll, reply.at(0)); });
            } else {
                // Binary questions are not acknowledged by the stock client's ack API in one step:
                // send the picture, and let students answer with poll:answer.
                io_->emit(kNsp, id, "poll:picture", array(question), e.attachments);
                io_->emitWithAck(kNsp, id, "poll:question",
                                 array(vtp::Json{{"poll", poll}, {"question", q["question"]}, {"options", q["options"]}}),
                                 [this, poll](const vtp::Json& reply, const std::vector<std::string>&) { answer(poll, reply.at(0)); });
            }
        }
    }

    void answer(int poll, const vtp::Json& reply)
    {
        vtp::Json tally = vtp::Json::array();
        {
            std::lock_guard lock(mutex_);
            auto it = counts_.find(poll);
            const int64_t option = reply.intOr("option", -1);
            if (it == counts_.end() || option < 0 || option >= static_cast<int64_t>(it->second.size())) return;
            ++it->second[static_cast<size_t>(option)];
            for (auto c : it->second) tally.push(c);
        }
        io_->broadcast(kNsp, "watchers", "poll:tally", array(vtp::Json{{"poll", poll}, {"counts", tally}}));
    }

    static vtp::Json array(const vtp::Json& one)
    {
        vtp::Json a = vtp::Json::array();
        a.push(one);
        return a;
    }

    std::unique_ptr<vtp::SocketIo> io_;
    std::mutex mutex_;
    std::set<std::string> instructors_, students_;
    int lastPoll_ = 0;
    std::map<int, size_t> options_;
    std::map<int, std::vector<int64_t>> counts_;
};

} // namespace

VTP_PLUGIN(PollPlugin)
