// The SDK's implementation of IRtmService. One instance owns two threads: the I/O thread
// (Reactor: the WebSocket and every deadline) and the callback thread (Dispatcher). Its state
// is guarded by one mutex, taken by API calls and by the I/O thread; callbacks are queued to
// the callback thread and run without it, so a callback may call back into the SDK.
//
// The members are defined in several files, each owning one domain:
//   service.cpp   the API surface: initialize, release, factories, setParameters, logs,
//                 and the operations not implemented yet (media, call invitations)
//   session.cpp   login, logout, the connection state machine, reconnection and resume,
//                 keepalive, requests and their answers
//   peers.cpp     peer messages: sending with receipts, receiving with ack and de-duplication
//   channel.cpp   IChannel: join, leave, channel messages, members, channel pushes
//   presence.cpp  online status queries and subscriptions, channel member counts
//   attributes.cpp user and channel attributes
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "IAgoraRtmCallManager.h"
#include "IAgoraRtmService.h"
#include "dispatcher.h"
#include "limits.h"
#include "log.h"
#include "transport.h"

namespace openrtm {

using namespace agora::rtm;
using nlohmann::json;
using std::chrono::milliseconds;

class Service;

class Channel final : public IChannel, public std::enable_shared_from_this<Channel> {
 public:
  enum class Membership { kIdle, kJoining, kJoined };

  Channel(Service* service, std::string id, IChannelEventHandler* handler)
      : service_(service), id_(std::move(id)), handler_(handler) {}

  int join() override;
  int leave() override;
  int sendMessage(const IMessage* message) override;
  int sendMessage(const IMessage* message, const SendMessageOptions& options) override;
  const char* getId() const override { return id_.c_str(); }
  int getMembers() override;
  void release() override;

  // Called with the service's mutex held.
  void on_push(const std::string& type, const json& push);
  Membership membership() const { return membership_; }
  void forget() { membership_ = Membership::kIdle; }
  // Runs `fn` with the app's handler on the callback thread, unless the channel was released.
  void emit(std::function<void(IChannelEventHandler*)> fn);

 private:
  friend class Service;
  Service* service_;
  std::string id_;
  IChannelEventHandler* handler_;
  Membership membership_ = Membership::kIdle;
  std::atomic<bool> released_{false};  // read by emitted callbacks, on the callback thread
  RateLimit join_rate_{2, milliseconds(5000)};  // spec §5.4: the same channel twice in 5 s
};

class Service final : public IRtmService {
 public:
  Service();
  ~Service() override;

  // IRtmService (service.cpp unless noted).
  int initialize(const char* appId, IRtmServiceEventHandler* eventHandler) override;
  void addEventHandler(IRtmServiceEventHandler* eventHandler) override;
  void removeEventHandler(IRtmServiceEventHandler* eventHandler) override;
  void release(bool sync = false) override;
  int login(const char* token, const char* userId) override;  // session.cpp
  int logout() override;                                      // session.cpp
  int renewToken(const char* token) override;                 // session.cpp
  int sendMessageToPeer(const char* peerId, const IMessage* message) override;  // peers.cpp
  int sendMessageToPeer(const char* peerId, const IMessage* message,
                        const SendMessageOptions& options) override;  // peers.cpp
  int downloadMediaToMemory(const char* mediaId, long long& requestId) override;
  int downloadMediaToFile(const char* mediaId, const char* filePath, long long& requestId) override;
  int cancelMediaDownload(long long requestId) override;
  int cancelMediaUpload(long long requestId) override;
  IChannel* createChannel(const char* channelId, IChannelEventHandler* eventHandler) override;
  IRtmCallManager* getRtmCallManager(IRtmCallEventHandler* eventHandler) override;
  IMessage* createMessage() override;
  IMessage* createMessage(const char* message) override;
  IMessage* createMessage(const uint8_t* rawData, int length) override;
  IMessage* createMessage(const uint8_t* rawData, int length, const char* description) override;
  IFileMessage* createFileMessageByMediaId(const char* mediaId) override;
  IImageMessage* createImageMessageByMediaId(const char* mediaId) override;
  int createFileMessageByUploading(const char* filePath, long long& requestId) override;
  int createImageMessageByUploading(const char* filePath, long long& requestId) override;
  IRtmChannelAttribute* createChannelAttribute() override;
  int setParameters(const char* parameters) override;
  int queryPeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) override;
  int subscribePeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) override;
  int unsubscribePeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) override;
  int queryPeersBySubscriptionOption(PEER_SUBSCRIPTION_OPTION option, long long& requestId) override;
  int setLocalUserAttributes(const RtmAttribute* attributes, int numberOfAttributes, long long& requestId) override;
  int addOrUpdateLocalUserAttributes(const RtmAttribute* attributes, int numberOfAttributes,
                                     long long& requestId) override;
  int deleteLocalUserAttributesByKeys(const char* attributeKeys[], int numberOfKeys, long long& requestId) override;
  int clearLocalUserAttributes(long long& requestId) override;
  int getUserAttributes(const char* userId, long long& requestId) override;
  int getUserAttributesByKeys(const char* userId, const char* attributeKeys[], int numberOfKeys,
                              long long& requestId) override;
  int setChannelAttributes(const char* channelId, const IRtmChannelAttribute* attributes[], int numberOfAttributes,
                           const ChannelAttributeOptions& options, long long& requestId) override;
  int addOrUpdateChannelAttributes(const char* channelId, const IRtmChannelAttribute* attributes[],
                                   int numberOfAttributes, const ChannelAttributeOptions& options,
                                   long long& requestId) override;
  int deleteChannelAttributesByKeys(const char* channelId, const char* attributeKeys[], int numberOfKeys,
                                    const ChannelAttributeOptions& options, long long& requestId) override;
  int clearChannelAttributes(const char* channelId, const ChannelAttributeOptions& options,
                             long long& requestId) override;
  int getChannelAttributes(const char* channelId, long long& requestId) override;
  int getChannelAttributesByKeys(const char* channelId, const char* attributeKeys[], int numberOfKeys,
                                 long long& requestId) override;
  int getChannelMemberCount(const char* channelIds[], int channelCount, long long& requestId) override;
  int setLogFile(const char* logfile) override;
  int setLogFilter(LOG_FILTER_TYPE filter) override;
  int setLogFileSize(int fileSizeInKBytes) override;

 private:
  friend class Channel;

  // An answer: `result` is null for an error, a timeout or an abandoned request, whose code
  // is then `code` (the server's, or the operation's timeout or not-logged-in code).
  using Done = std::function<void(const json* result, int code)>;
  struct Pending {
    std::string frame;
    bool sent = false;
    Clock::time_point deadline;
    int timeout_code = 1;
    int abandon_code = 1;  // the session ended before an answer came
    Done done;
  };

  // session.cpp
  void tick();
  void start_attempt();
  void on_attempt_open(unsigned long long link_id);
  void on_text(unsigned long long link_id, std::string&& text);
  void on_closed(unsigned long long link_id, int code);
  void on_login_answer(unsigned long long link_id, const json* result, int code);
  void adopt_attempt(const json& result);
  void become_connected();
  void fail_login(int code, CONNECTION_CHANGE_REASON reason);
  void lost_link(int code);
  void end_session(bool notify_pending);
  void finish_logout();
  void schedule_retry();
  void transition(CONNECTION_STATE to, CONNECTION_CHANGE_REASON reason);
  bool connected() const { return state_ == CONNECTION_STATE_CONNECTED && !logging_out_ && !restoring_; }
  // Sends a request now on `link` when given, or on the adopted link when CONNECTED, or queues
  // it until the connection is back (peer and channel messages while RECONNECTING, spec §6.1).
  long long request(const std::string& op, json fields, milliseconds timeout, int timeout_code, int abandon_code,
                    Done done, const std::shared_ptr<WsLink>& link = nullptr);
  void flush_queued();
  std::shared_ptr<WsLink> link_by_id(unsigned long long id) const;
  std::string next_mid();

  // peers.cpp
  int send_peer(const char* peer_id, const IMessage* message, const SendMessageOptions& options);
  void on_peer_push(const json& push, const std::shared_ptr<WsLink>& link);

  // presence.cpp
  int subscription(const char* op, const char* peerIds[], int peerCount, long long& requestId);
  void on_peer_status(const json& push);

  // attributes.cpp
  using AttributeCallback = void (IRtmServiceEventHandler::*)(long long, ATTRIBUTE_OPERATION_ERR);
  int attribute_preamble(long long& requestId, RateLimit& rate);
  int user_write(const char* op, json fields, std::map<std::string, std::string> after, long long& requestId,
                 AttributeCallback callback);
  int user_attrs_write(const RtmAttribute* attributes, int n, long long& requestId, bool update);
  int user_attrs_get(const char* user_id, const char* keys[], int n, long long& requestId, bool by_keys);
  int channel_write(const char* op, const char* channel_id, json fields, const ChannelAttributeOptions& options,
                    long long& requestId, AttributeCallback callback);
  int channel_attrs_write(const char* channel_id, const IRtmChannelAttribute* attributes[], int n,
                          const ChannelAttributeOptions& options, long long& requestId, bool update);
  int channel_attrs_get(const char* channel_id, const char* keys[], int n, long long& requestId, bool by_keys);

  // Runs `fn` for every registered handler on the callback thread.
  void emit(std::function<void(IRtmServiceEventHandler*)> fn);

  // Members: the first two own the threads and are constructed first, destroyed last.
  Dispatcher dispatcher_;
  Reactor reactor_;
  std::mutex mu_;
  Log log_;

  std::mutex handlers_mu_;
  std::vector<IRtmServiceEventHandler*> handlers_;

  bool initialized_ = false;

  std::string app_id_;
  std::string server_url_;

  CONNECTION_STATE state_ = CONNECTION_STATE_DISCONNECTED;
  std::string uid_;
  std::string token_;  // empty: App ID-only mode
  std::string session_id_;
  bool logging_out_ = false;
  bool restoring_ = false;  // re-joining channels after a reconnect that did not resume
  int restores_left_ = 0;
  unsigned long long restore_gen_ = 0;
  bool token_expired_told_ = false;

  unsigned long long next_link_id_ = 0;
  std::shared_ptr<WsLink> link_;  // the logged-in connection
  unsigned long long link_id_ = 0;
  std::shared_ptr<WsLink> attempt_;  // a connection being logged in
  unsigned long long attempt_id_ = 0;
  bool attempt_in_flight_ = false;
  Clock::time_point login_deadline_;
  Clock::time_point next_attempt_at_;
  milliseconds backoff_{250};

  Clock::time_point last_rx_;
  bool ping_outstanding_ = false;
  Clock::time_point ping_sent_at_;

  long long next_request_id_ = 0;
  std::map<long long, Pending> pending_;

  std::string mid_prefix_;
  unsigned long long mid_counter_ = 0;
  std::set<std::pair<std::string, std::string>> seen_;
  std::deque<std::pair<std::string, std::string>> seen_order_;

  std::map<std::string, std::shared_ptr<Channel>> channels_;

  // release(): the link being closed, and the signal that its close is done.
  unsigned long long releasing_link_id_ = 0;
  std::condition_variable released_closed_;

  // Spec §5.4, the Linux C++ column.
  RateLimit login_rate_{2, milliseconds(1000)};
  RateLimit renew_rate_{2, milliseconds(1000)};
  RateLimit message_rate_{1500, milliseconds(3000)};
  RateLimit join_rate_{50, milliseconds(3000)};
  RateLimit members_rate_{5, milliseconds(2000)};
  RateLimit query_rate_{100, milliseconds(5000)};
  RateLimit subscribe_rate_{10, milliseconds(5000)};
  RateLimit query_subscriptions_rate_{10, milliseconds(5000)};
  RateLimit user_write_rate_{100, milliseconds(5000)};
  RateLimit user_read_rate_{400, milliseconds(5000)};
  RateLimit channel_write_rate_{100, milliseconds(5000)};
  RateLimit channel_read_rate_{400, milliseconds(5000)};
  RateLimit member_count_rate_{1, milliseconds(1000)};

  // What a session that was not resumed must restore (protocol §9.6), and what the app was told.
  std::set<std::string> followed_;
  std::map<std::string, PEER_ONLINE_STATE> peer_states_;
  std::map<std::string, std::string> user_attrs_;
};

// Timings (spec §4.17 and the Python SDK's defaults, protocol §9).
constexpr milliseconds kTick{50};
constexpr milliseconds kLoginTimeout{12000};
constexpr milliseconds kConnectTimeout{3000};
constexpr milliseconds kRequestTimeout{10000};
constexpr milliseconds kShortTimeout{5000};
constexpr milliseconds kPingInterval{2000};
constexpr milliseconds kPingTimeout{2000};
constexpr milliseconds kBackoffMax{10000};
constexpr const char* kDefaultServer = "ws://127.0.0.1:8765/";
constexpr const char* kSdkName = "cpp/0.1.0";

}  // namespace openrtm
