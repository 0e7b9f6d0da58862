// A command-line chat on openrtm's C++ SDK, written against Agora's RTM 1.x Linux API only.
//
//   rtm_chat APP_ID USER_ID [SERVER_URL]
//
// The server comes from SERVER_URL, else OPENRTM_SERVER, else ws://127.0.0.1:8765/. Commands,
// one a line on standard input:
//   /peer PEER TEXT      send TEXT to PEER (an offline message if PEER is offline)
//   /join CHANNEL        join CHANNEL (one at a time)
//   /send TEXT           send TEXT to the joined channel
//   /members             list the joined channel's members
//   /leave               leave the joined channel
//   /quit                log out and exit (also at end of input)
// Events are printed one a line, e.g. "peer alice: hello", "channel lobby bob: hi".
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

#include "IAgoraRtmService.h"

using namespace agora::rtm;

namespace {

std::mutex g_out;
void say(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out);
  std::cout << line << std::endl;
}

class ClientEvents : public IRtmServiceEventHandler {
 public:
  void onLoginSuccess() override {
    say("login ok");
    signal(true);
  }
  void onLoginFailure(LOGIN_ERR_CODE errorCode) override {
    say("login failed " + std::to_string(errorCode));
    signal(false);
  }
  void onLogout(LOGOUT_ERR_CODE errorCode) override { say("logout " + std::to_string(errorCode)); }
  void onConnectionStateChanged(CONNECTION_STATE state, CONNECTION_CHANGE_REASON reason) override {
    say("state " + std::to_string(state) + " reason " + std::to_string(reason));
  }
  void onSendMessageResult(long long messageId, PEER_MESSAGE_ERR_CODE errorCode) override {
    say("peer result " + std::to_string(messageId) + " " + std::to_string(errorCode));
  }
  void onMessageReceivedFromPeer(const char* peerId, const IMessage* message) override {
    std::string offline = message->isOfflineMessage() ? " (offline)" : "";
    say(std::string("peer ") + peerId + offline + ": " + message->getText());
  }

  bool wait_login() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return ok_;
  }

 private:
  void signal(bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    ok_ = ok;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false, ok_ = false;
};

class ChannelEvents : public IChannelEventHandler {
 public:
  explicit ChannelEvents(std::string id) : id_(std::move(id)) {}
  void onJoinSuccess() override { say("joined " + id_); }
  void onJoinFailure(JOIN_CHANNEL_ERR errorCode) override { say("join failed " + std::to_string(errorCode)); }
  void onLeave(LEAVE_CHANNEL_ERR errorCode) override { say("left " + id_ + " " + std::to_string(errorCode)); }
  void onMessageReceived(const char* userId, const IMessage* message) override {
    say("channel " + id_ + " " + userId + ": " + message->getText());
  }
  void onSendMessageResult(long long messageId, CHANNEL_MESSAGE_ERR_CODE state) override {
    say("channel result " + std::to_string(messageId) + " " + std::to_string(state));
  }
  void onMemberJoined(IChannelMember* member) override { say(std::string("member joined ") + member->getUserId()); }
  void onMemberLeft(IChannelMember* member) override { say(std::string("member left ") + member->getUserId()); }
  void onGetMembers(IChannelMember** members, int userCount, GET_MEMBERS_ERR errorCode) override {
    std::string line = "members " + id_ + " " + std::to_string(errorCode) + ":";
    for (int i = 0; i < userCount; ++i) line += std::string(" ") + members[i]->getUserId();
    say(line);
  }
  void onMemberCountUpdated(int memberCount) override { say("count " + id_ + " " + std::to_string(memberCount)); }

 private:
  std::string id_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s APP_ID USER_ID [SERVER_URL]\n", argv[0]);
    return 2;
  }
  std::string app_id = argv[1], user_id = argv[2];
  IRtmService* rtm = createRtmService();
  ClientEvents events;
  int ret = rtm->initialize(app_id.c_str(), &events);
  if (ret != 0) {
    say("initialize failed " + std::to_string(ret));
    return 1;
  }
  if (argc > 3) {
    std::string params = std::string("{\"rtm.server\":\"") + argv[3] + "\"}";
    if (rtm->setParameters(params.c_str()) != 0) {
      say("bad server URL");
      return 1;
    }
  }
  // App ID-only mode as in Agora's Linux tutorial: the App ID in place of a token.
  ret = rtm->login(app_id.c_str(), user_id.c_str());
  if (ret != 0 || !events.wait_login()) {
    say("login ret " + std::to_string(ret));
    rtm->release();
    return 1;
  }

  IChannel* channel = nullptr;
  ChannelEvents* channel_events = nullptr;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    std::string rest;
    std::getline(in, rest);
    if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    if (cmd == "/peer") {
      auto space = rest.find(' ');
      std::string peer = rest.substr(0, space), text = space == std::string::npos ? "" : rest.substr(space + 1);
      IMessage* msg = rtm->createMessage();
      msg->setText(text.c_str());
      SendMessageOptions options;
      options.enableOfflineMessaging = true;
      say("sent " + std::to_string(msg->getMessageId()) + " ret " +
          std::to_string(rtm->sendMessageToPeer(peer.c_str(), msg, options)));
      msg->release();
    } else if (cmd == "/join" && channel == nullptr) {
      channel_events = new ChannelEvents(rest);
      channel = rtm->createChannel(rest.c_str(), channel_events);
      if (channel == nullptr) {
        say("invalid channel id");
        delete channel_events;
        channel_events = nullptr;
        continue;
      }
      say("join ret " + std::to_string(channel->join()));
    } else if (cmd == "/send" && channel != nullptr) {
      IMessage* msg = rtm->createMessage(rest.c_str());
      say("sent " + std::to_string(msg->getMessageId()) + " ret " + std::to_string(channel->sendMessage(msg)));
      msg->release();
    } else if (cmd == "/members" && channel != nullptr) {
      say("members ret " + std::to_string(channel->getMembers()));
    } else if (cmd == "/leave" && channel != nullptr) {
      say("leave ret " + std::to_string(channel->leave()));
    } else if (cmd == "/quit") {
      break;
    } else if (!cmd.empty()) {
      say("unknown command " + cmd);
    }
  }
  if (channel != nullptr) channel->release();
  rtm->logout();
  rtm->release();
  delete channel_events;
  say("bye");
  return 0;
}
