// Test support: a live `openrtm serve` (started once for the whole binary, and on demand with
// other options), recorders of callbacks that tests wait on, and timeouts in units that
// OPENRTM_TEST_TIMEOUT_SCALE scales (design §8).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "IAgoraRtmService.h"

namespace rtmtest {

using namespace agora::rtm;

// `ms` milliseconds times OPENRTM_TEST_TIMEOUT_SCALE.
std::chrono::milliseconds unit(long long ms);

// A random suffix, so tests sharing a server never share a uid or channel.
std::string unique(const std::string& prefix);

// `python -m openrtm serve` on free ports; the Python comes from OPENRTM_PYTHON.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args = {});
  ~ServerProcess();
  const std::string& url() const { return url_; }

 private:
  int pid_ = -1;
  std::string url_;
  std::string data_dir_;
};

// The server every test shares (development mode: any App ID, no token).
const std::string& shared_server();

constexpr const char* kAppId = "0123456789abcdef0123456789abcdef";

// Lines recorded from callbacks, with the thread each ran on.
class Recorder {
 public:
  void add(std::string line);
  // Waits until a line equal to `line` was recorded; false after `timeout`.
  bool wait(const std::string& line, std::chrono::milliseconds timeout = unit(10000));
  // Waits until a line starting with `prefix` was recorded, and returns it ("" if none).
  std::string wait_prefix(const std::string& prefix, std::chrono::milliseconds timeout = unit(10000));
  bool has(const std::string& line);
  std::vector<std::string> lines();
  std::vector<std::thread::id> threads();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<std::thread::id> threads_;
};

class ClientRecorder : public IRtmServiceEventHandler, public Recorder {
 public:
  void onLoginSuccess() override { add("login ok"); }
  void onLoginFailure(LOGIN_ERR_CODE e) override { add("login failed " + std::to_string(e)); }
  void onLogout(LOGOUT_ERR_CODE e) override { add("logout " + std::to_string(e)); }
  void onTokenExpired() override { add("token expired"); }
  void onTokenPrivilegeWillExpire() override { add("token will expire"); }
  void onRenewTokenResult(const char* token, RENEW_TOKEN_ERR_CODE e) override {
    add("renewed " + std::string(token).substr(0, 8) + " " + std::to_string(e));
  }
  void onConnectionStateChanged(CONNECTION_STATE s, CONNECTION_CHANGE_REASON r) override {
    add("state " + std::to_string(s) + " " + std::to_string(r));
  }
  void onSendMessageResult(long long id, PEER_MESSAGE_ERR_CODE e) override {
    add("result " + std::to_string(id) + " " + std::to_string(e));
  }
  void onMessageReceivedFromPeer(const char* peer, const IMessage* m) override;
  void onQueryPeersOnlineStatusResult(long long id, const PeerOnlineStatus* s, int n,
                                      QUERY_PEERS_ONLINE_STATUS_ERR e) override;
  void onSubscriptionRequestResult(long long id, PEER_SUBSCRIPTION_STATUS_ERR e) override {
    add("subscription " + std::to_string(id) + " " + std::to_string(e));
  }
  void onPeersOnlineStatusChanged(const PeerOnlineStatus s[], int n) override;
  void onQueryPeersBySubscriptionOptionResult(long long id, const char* ids[], int n,
                                              QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR e) override;
  void onGetChannelMemberCountResult(long long id, const ChannelMemberCount* c, int n,
                                     GET_CHANNEL_MEMBER_COUNT_ERR_CODE e) override;
  void onSetLocalUserAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onAddOrUpdateLocalUserAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onDeleteLocalUserAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onClearLocalUserAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onSetChannelAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onAddOrUpdateChannelAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onDeleteChannelAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onClearChannelAttributesResult(long long id, ATTRIBUTE_OPERATION_ERR e) override { attr(id, e); }
  void onGetUserAttributesResult(long long id, const char* user, const RtmAttribute* a, int n,
                                 ATTRIBUTE_OPERATION_ERR e) override;
  void onGetChannelAttributesResult(long long id, const IRtmChannelAttribute* a[], int n,
                                    ATTRIBUTE_OPERATION_ERR e) override;
  void attr(long long id, ATTRIBUTE_OPERATION_ERR e) { add("attr " + std::to_string(id) + " " + std::to_string(e)); }
  // Runs inside onLoginSuccess, on the callback thread (re-entrancy tests).
  std::function<void()> on_login;
};

class ChannelRecorder : public IChannelEventHandler, public Recorder {
 public:
  void onJoinSuccess() override { add("joined"); }
  void onJoinFailure(JOIN_CHANNEL_ERR e) override { add("join failed " + std::to_string(e)); }
  void onLeave(LEAVE_CHANNEL_ERR e) override { add("left " + std::to_string(e)); }
  void onMessageReceived(const char* user, const IMessage* m) override {
    add(std::string("msg ") + user + " " + m->getText());
  }
  void onSendMessageResult(long long id, CHANNEL_MESSAGE_ERR_CODE e) override {
    add("result " + std::to_string(id) + " " + std::to_string(e));
  }
  void onMemberJoined(IChannelMember* m) override { add(std::string("member joined ") + m->getUserId()); }
  void onMemberLeft(IChannelMember* m) override { add(std::string("member left ") + m->getUserId()); }
  void onGetMembers(IChannelMember** members, int n, GET_MEMBERS_ERR e) override;
  void onMemberCountUpdated(int n) override { add("count " + std::to_string(n)); }
  void onAttributesUpdated(const IRtmChannelAttribute* a[], int n) override;
};

// An initialized IRtmService pointed at `server`, released at the end of the test.
struct Client {
  explicit Client(const std::string& server = shared_server(), const char* app_id = kAppId);
  ~Client();
  // login(token, uid) and waits for onLoginSuccess; asserts on failure.
  void login(const std::string& uid, const char* token = nullptr);
  IRtmService* rtm;
  ClientRecorder events;
  std::string uid;
};

}  // namespace rtmtest
