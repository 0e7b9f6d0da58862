// openrtm: Agora RTM 1.x Linux C++ API (namespace agora::rtm), implemented on the openrtm
// protocol. Names, signatures and numeric values follow Agora's published RTM 1.4.x/1.5.x
// headers (spec §2, §3, §4) so that an existing program compiles unchanged; the text is ours.
// Additions of Agora's 1.5.0 (onTokenPrivilegeWillExpire, CONNECTION_CHANGE_REASON_TOKEN_EXPIRED)
// are included: the API is the union of 1.4.x and 1.5.x, as for the other SDKs.
#pragma once

#include <cstdint>

#if defined(_WIN32)
#define AGORA_CALL __cdecl
#if defined(AGORARTC_EXPORT)
#define AGORA_API extern "C" __declspec(dllexport)
#else
#define AGORA_API extern "C" __declspec(dllimport)
#endif
#define _AGORA_CPP_API
#else
#define AGORA_API extern "C" __attribute__((visibility("default")))
#define _AGORA_CPP_API __attribute__((visibility("default")))
#define AGORA_CALL
#endif

// Spec §1.5: a TEXT peer message "<prefix>_<channelId>_<info>" ends a legacy Signaling call.
#define AGORA_RTM_ENDCALL_PREFIX "AgoraRTMLegacyEndcallCompatibleMessagePrefix"

namespace agora {
namespace rtm {

// Spec §4.15 (native INIT_ERR_CODE).
enum INIT_ERR_CODE {
  INIT_ERR_OK = 0,
  INIT_ERR_FAILURE = 1,
  INIT_ERR_ALREADY_INITIALIZED = 2,
  INIT_ERR_INVALID_APP_ID = 3,
  INIT_ERR_INVALID_ARGUMENT = 4,
};

// Spec §4.1. The C++ spelling of 8 is LOGIN_ERR_ALREADY_LOGGED_IN.
enum LOGIN_ERR_CODE {
  LOGIN_ERR_OK = 0,
  LOGIN_ERR_UNKNOWN = 1,
  LOGIN_ERR_REJECTED = 2,
  LOGIN_ERR_INVALID_ARGUMENT = 3,
  LOGIN_ERR_INVALID_APP_ID = 4,
  LOGIN_ERR_INVALID_TOKEN = 5,
  LOGIN_ERR_TOKEN_EXPIRED = 6,
  LOGIN_ERR_NOT_AUTHORIZED = 7,
  LOGIN_ERR_ALREADY_LOGGED_IN = 8,
  LOGIN_ERR_TIMEOUT = 9,
  LOGIN_ERR_TOO_OFTEN = 10,
  LOGIN_ERR_NOT_INITIALIZED = 101,
};

// Spec §4.2.
enum LOGOUT_ERR_CODE {
  LOGOUT_ERR_OK = 0,
  LOGOUT_ERR_REJECTED = 1,
  LOGOUT_ERR_NOT_INITIALIZED = 101,
  LOGOUT_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.3.
enum RENEW_TOKEN_ERR_CODE {
  RENEW_TOKEN_ERR_OK = 0,
  RENEW_TOKEN_ERR_FAILURE = 1,
  RENEW_TOKEN_ERR_INVALID_ARGUMENT = 2,
  RENEW_TOKEN_ERR_REJECTED = 3,
  RENEW_TOKEN_ERR_TOO_OFTEN = 4,
  RENEW_TOKEN_ERR_TOKEN_EXPIRED = 5,
  RENEW_TOKEN_ERR_INVALID_TOKEN = 6,
  RENEW_TOKEN_ERR_NOT_INITIALIZED = 101,
  RENEW_TOKEN_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §3.1: native values.
enum CONNECTION_STATE {
  CONNECTION_STATE_DISCONNECTED = 1,
  CONNECTION_STATE_CONNECTING = 2,
  CONNECTION_STATE_CONNECTED = 3,
  CONNECTION_STATE_RECONNECTING = 4,
  CONNECTION_STATE_ABORTED = 5,
};

// Spec §3.1: native values; 9 is Agora's 1.5.0 addition.
enum CONNECTION_CHANGE_REASON {
  CONNECTION_CHANGE_REASON_LOGIN = 1,
  CONNECTION_CHANGE_REASON_LOGIN_SUCCESS = 2,
  CONNECTION_CHANGE_REASON_LOGIN_FAILURE = 3,
  CONNECTION_CHANGE_REASON_LOGIN_TIMEOUT = 4,
  CONNECTION_CHANGE_REASON_INTERRUPTED = 5,
  CONNECTION_CHANGE_REASON_LOGOUT = 6,
  CONNECTION_CHANGE_REASON_BANNED_BY_SERVER = 7,
  CONNECTION_CHANGE_REASON_REMOTE_LOGIN = 8,
  CONNECTION_CHANGE_REASON_TOKEN_EXPIRED = 9,
};

// Spec §4.4, with Agora's C++ spellings (SENT_TIMEOUT, IMCOMPATIBLE).
enum PEER_MESSAGE_ERR_CODE {
  PEER_MESSAGE_ERR_OK = 0,
  PEER_MESSAGE_ERR_FAILURE = 1,
  PEER_MESSAGE_ERR_SENT_TIMEOUT = 2,
  PEER_MESSAGE_ERR_PEER_UNREACHABLE = 3,
  PEER_MESSAGE_ERR_CACHED_BY_SERVER = 4,
  PEER_MESSAGE_ERR_TOO_OFTEN = 5,
  PEER_MESSAGE_ERR_INVALID_USERID = 6,
  PEER_MESSAGE_ERR_INVALID_MESSAGE = 7,
  PEER_MESSAGE_ERR_IMCOMPATIBLE_MESSAGE = 8,
  PEER_MESSAGE_ERR_NOT_INITIALIZED = 101,
  PEER_MESSAGE_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.5 (4 has no _ERR_ in Agora's name).
enum JOIN_CHANNEL_ERR {
  JOIN_CHANNEL_ERR_OK = 0,
  JOIN_CHANNEL_ERR_FAILURE = 1,
  JOIN_CHANNEL_ERR_REJECTED = 2,
  JOIN_CHANNEL_ERR_INVALID_ARGUMENT = 3,
  JOIN_CHANNEL_TIMEOUT = 4,
  JOIN_CHANNEL_ERR_EXCEED_LIMIT = 5,
  JOIN_CHANNEL_ERR_ALREADY_JOINED = 6,
  JOIN_CHANNEL_ERR_TOO_OFTEN = 7,
  JOIN_CHANNEL_ERR_JOIN_SAME_CHANNEL_TOO_OFTEN = 8,
  JOIN_CHANNEL_ERR_NOT_INITIALIZED = 101,
  JOIN_CHANNEL_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.6.
enum LEAVE_CHANNEL_ERR {
  LEAVE_CHANNEL_ERR_OK = 0,
  LEAVE_CHANNEL_ERR_FAILURE = 1,
  LEAVE_CHANNEL_ERR_REJECTED = 2,
  LEAVE_CHANNEL_ERR_NOT_IN_CHANNEL = 3,
  LEAVE_CHANNEL_ERR_NOT_INITIALIZED = 101,
  LEAVE_CHANNEL_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §2.4: declared by Agora, used by no callback.
enum LEAVE_CHANNEL_REASON {
  LEAVE_CHANNEL_REASON_QUIT = 1,
  LEAVE_CHANNEL_REASON_KICKED = 2,
};

// Spec §4.7.
enum CHANNEL_MESSAGE_ERR_CODE {
  CHANNEL_MESSAGE_ERR_OK = 0,
  CHANNEL_MESSAGE_ERR_FAILURE = 1,
  CHANNEL_MESSAGE_ERR_SENT_TIMEOUT = 2,
  CHANNEL_MESSAGE_ERR_TOO_OFTEN = 3,
  CHANNEL_MESSAGE_ERR_INVALID_MESSAGE = 4,
  CHANNEL_MESSAGE_ERR_NOT_INITIALIZED = 101,
  CHANNEL_MESSAGE_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.8.
enum GET_MEMBERS_ERR {
  GET_MEMBERS_ERR_OK = 0,
  GET_MEMBERS_ERR_FAILURE = 1,
  GET_MEMBERS_ERR_REJECTED = 2,
  GET_MEMBERS_ERR_TIMEOUT = 3,
  GET_MEMBERS_ERR_TOO_OFTEN = 4,
  GET_MEMBERS_ERR_NOT_IN_CHANNEL = 5,
  GET_MEMBERS_ERR_NOT_INITIALIZED = 101,
  GET_MEMBERS_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.9.
enum QUERY_PEERS_ONLINE_STATUS_ERR {
  QUERY_PEERS_ONLINE_STATUS_ERR_OK = 0,
  QUERY_PEERS_ONLINE_STATUS_ERR_FAILURE = 1,
  QUERY_PEERS_ONLINE_STATUS_ERR_INVALID_ARGUMENT = 2,
  QUERY_PEERS_ONLINE_STATUS_ERR_REJECTED = 3,
  QUERY_PEERS_ONLINE_STATUS_ERR_TIMEOUT = 4,
  QUERY_PEERS_ONLINE_STATUS_ERR_TOO_OFTEN = 5,
  QUERY_PEERS_ONLINE_STATUS_ERR_NOT_INITIALIZED = 101,
  QUERY_PEERS_ONLINE_STATUS_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §2.4.
enum PEER_ONLINE_STATE {
  PEER_ONLINE_STATE_ONLINE = 0,
  PEER_ONLINE_STATE_UNREACHABLE = 1,
  PEER_ONLINE_STATE_OFFLINE = 2,
};

enum PEER_SUBSCRIPTION_OPTION {
  PEER_SUBSCRIPTION_OPTION_ONLINE_STATUS = 0,
};

// Spec §4.10.
enum PEER_SUBSCRIPTION_STATUS_ERR {
  PEER_SUBSCRIPTION_STATUS_ERR_OK = 0,
  PEER_SUBSCRIPTION_STATUS_ERR_FAILURE = 1,
  PEER_SUBSCRIPTION_STATUS_ERR_INVALID_ARGUMENT = 2,
  PEER_SUBSCRIPTION_STATUS_ERR_REJECTED = 3,
  PEER_SUBSCRIPTION_STATUS_ERR_TIMEOUT = 4,
  PEER_SUBSCRIPTION_STATUS_ERR_TOO_OFTEN = 5,
  PEER_SUBSCRIPTION_STATUS_ERR_OVERFLOW = 6,
  PEER_SUBSCRIPTION_STATUS_ERR_NOT_INITIALIZED = 101,
  PEER_SUBSCRIPTION_STATUS_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.11.
enum QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR {
  QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_OK = 0,
  QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_FAILURE = 1,
  QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_TIMEOUT = 2,
  QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_TOO_OFTEN = 3,
  QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_NOT_INITIALIZED = 101,
  QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.12.
enum ATTRIBUTE_OPERATION_ERR {
  ATTRIBUTE_OPERATION_ERR_OK = 0,
  ATTRIBUTE_OPERATION_ERR_NOT_READY = 1,
  ATTRIBUTE_OPERATION_ERR_FAILURE = 2,
  ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT = 3,
  ATTRIBUTE_OPERATION_ERR_SIZE_OVERFLOW = 4,
  ATTRIBUTE_OPERATION_ERR_TOO_OFTEN = 5,
  ATTRIBUTE_OPERATION_ERR_USER_NOT_FOUND = 6,
  ATTRIBUTE_OPERATION_ERR_TIMEOUT = 7,
  ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED = 101,
  ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.13.
enum GET_CHANNEL_MEMBER_COUNT_ERR_CODE {
  GET_CHANNEL_MEMBER_COUNT_ERR_OK = 0,
  GET_CHANNEL_MEMBER_COUNT_ERR_FAILURE = 1,
  GET_CHANNEL_MEMBER_COUNT_ERR_INVALID_ARGUMENT = 2,
  GET_CHANNEL_MEMBER_COUNT_ERR_TOO_OFTEN = 3,
  GET_CHANNEL_MEMBER_COUNT_ERR_TIMEOUT = 4,
  GET_CHANNEL_MEMBER_COUNT_ERR_EXCEED_LIMIT = 5,
  GET_CHANNEL_MEMBER_COUNT_ERR_NOT_INITIALIZED = 101,
  GET_CHANNEL_MEMBER_COUNT_ERR_USER_NOT_LOGGED_IN = 102,
};

// Spec §4.16.
enum DOWNLOAD_MEDIA_ERR_CODE {
  DOWNLOAD_MEDIA_ERR_OK = 0,
  DOWNLOAD_MEDIA_ERR_FAILURE = 1,
  DOWNLOAD_MEDIA_ERR_INVALID_ARGUMENT = 2,
  DOWNLOAD_MEDIA_ERR_TIMEOUT = 3,
  DOWNLOAD_MEDIA_ERR_NOT_EXIST = 4,
  DOWNLOAD_MEDIA_ERR_CONCURRENCY_LIMIT_EXCEEDED = 5,
  DOWNLOAD_MEDIA_ERR_INTERRUPTED = 6,
  DOWNLOAD_MEDIA_ERR_NOT_INITIALIZED = 101,
  DOWNLOAD_MEDIA_ERR_NOT_LOGGED_IN = 102,
};

enum UPLOAD_MEDIA_ERR_CODE {
  UPLOAD_MEDIA_ERR_OK = 0,
  UPLOAD_MEDIA_ERR_FAILURE = 1,
  UPLOAD_MEDIA_ERR_INVALID_ARGUMENT = 2,
  UPLOAD_MEDIA_ERR_TIMEOUT = 3,
  UPLOAD_MEDIA_ERR_SIZE_OVERFLOW = 4,
  UPLOAD_MEDIA_ERR_CONCURRENCY_LIMIT_EXCEEDED = 5,
  UPLOAD_MEDIA_ERR_INTERRUPTED = 6,
  UPLOAD_MEDIA_ERR_NOT_INITIALIZED = 101,
  UPLOAD_MEDIA_ERR_NOT_LOGGED_IN = 102,
};

enum CANCEL_MEDIA_ERR_CODE {
  CANCEL_MEDIA_ERR_OK = 0,
  CANCEL_MEDIA_ERR_FAILURE = 1,
  CANCEL_MEDIA_ERR_NOT_EXIST = 2,
  CANCEL_MEDIA_ERR_NOT_INITIALIZED = 101,
  CANCEL_MEDIA_ERR_NOT_LOGGED_IN = 102,
};

// Spec §1.6.
enum MESSAGE_TYPE {
  MESSAGE_TYPE_UNDEFINED = 0,
  MESSAGE_TYPE_TEXT = 1,
  MESSAGE_TYPE_RAW = 2,
  MESSAGE_TYPE_FILE = 3,
  MESSAGE_TYPE_IMAGE = 4,
};

// Spec §6.2, §6.3: per-message options (peer messages; history also for channels).
struct SendMessageOptions {
  bool enableOfflineMessaging;
  bool enableHistoricalMessaging;
  SendMessageOptions() : enableOfflineMessaging(false), enableHistoricalMessaging(false) {}
};

struct RtmAttribute {
  const char* key;
  const char* value;
};

struct MediaOperationProgress {
  long long totalSize;
  long long currentSize;
};

class IRtmChannelAttribute {
 protected:
  virtual ~IRtmChannelAttribute() {}

 public:
  virtual void setKey(const char* key) = 0;
  virtual const char* getKey() const = 0;
  virtual void setValue(const char* value) = 0;
  virtual const char* getValue() const = 0;
  virtual const char* getLastUpdateUserId() const = 0;
  virtual long long getLastUpdateTs() const = 0;
  virtual void release() = 0;
};

struct ChannelAttributeOptions {
  bool enableNotificationToChannelMembers;
  ChannelAttributeOptions() : enableNotificationToChannelMembers(false) {}
};

// A peer or channel message. Received messages belong to the SDK and live until the callback
// returns; messages made by createMessage() belong to the app, which calls release().
class IMessage {
 protected:
  virtual ~IMessage() {}

 public:
  virtual long long getMessageId() const = 0;
  virtual MESSAGE_TYPE getMessageType() const = 0;
  // The text of a TEXT message; the description of a RAW, FILE or IMAGE message.
  virtual void setText(const char* str) = 0;
  virtual const char* getText() const = 0;
  virtual const char* getRawMessageData() const = 0;
  virtual int getRawMessageLength() const = 0;
  virtual long long getServerReceivedTs() const = 0;
  virtual bool isOfflineMessage() const = 0;
  virtual void release() = 0;
};

// Agora declares getThumbnailLength() as returning `const long long`; the top-level const
// means nothing on a scalar return and trips -Wignored-qualifiers, so it is left out here.
// Callers are unaffected.
class IFileMessage : public IMessage {
 public:
  virtual long long getSize() const = 0;
  virtual const char* getMediaId() const = 0;
  virtual void setThumbnail(const uint8_t* thumbnail, int length) = 0;
  virtual const char* getThumbnailData() const = 0;
  virtual long long getThumbnailLength() const = 0;
  virtual void setFileName(const char* fileName) = 0;
  virtual const char* getFileName() const = 0;
};

class IImageMessage : public IMessage {
 public:
  virtual long long getSize() const = 0;
  virtual const char* getMediaId() const = 0;
  virtual void setThumbnail(const uint8_t* thumbnail, long long length) = 0;
  virtual const char* getThumbnailData() const = 0;
  virtual long long getThumbnailLength() const = 0;
  virtual void setFileName(const char* fileName) = 0;
  virtual const char* getFileName() const = 0;
  virtual void setWidth(int width) = 0;
  virtual int getWidth() const = 0;
  virtual void setHeight(int height) = 0;
  virtual int getHeight() const = 0;
  virtual void setThumbnailWidth(int width) = 0;
  virtual int getThumbnailWidth() const = 0;
  virtual void setThumbnailHeight(int height) = 0;
  virtual int getThumbnailHeight() const = 0;
};

class IChannelMember {
 protected:
  virtual ~IChannelMember() {}

 public:
  virtual const char* getUserId() const = 0;
  virtual const char* getChannelId() const = 0;
  virtual void release() = 0;
};

struct PeerOnlineStatus {
  const char* peerId;
  bool isOnline;  // deprecated by Agora in 1.2.0: read onlineState
  PEER_ONLINE_STATE onlineState;
};

struct ChannelMemberCount {
  const char* channelId;
  int count;  // 0 when the channel has no members (spec §6.8)
};

// Channel callbacks (spec §2.2). They run on the SDK's callback thread.
class IChannelEventHandler {
 public:
  virtual ~IChannelEventHandler() {}
  virtual void onJoinSuccess() {}
  virtual void onJoinFailure(JOIN_CHANNEL_ERR errorCode) { (void)errorCode; }
  virtual void onLeave(LEAVE_CHANNEL_ERR errorCode) { (void)errorCode; }
  virtual void onMessageReceived(const char* userId, const IMessage* message) {
    (void)userId;
    (void)message;
  }
  virtual void onImageMessageReceived(const char* userId, const IImageMessage* message) {
    (void)userId;
    (void)message;
  }
  virtual void onFileMessageReceived(const char* userId, const IFileMessage* message) {
    (void)userId;
    (void)message;
  }
  virtual void onSendMessageResult(long long messageId, CHANNEL_MESSAGE_ERR_CODE state) {
    (void)messageId;
    (void)state;
  }
  virtual void onMemberJoined(IChannelMember* member) { (void)member; }
  virtual void onMemberLeft(IChannelMember* member) { (void)member; }
  virtual void onGetMembers(IChannelMember** members, int userCount, GET_MEMBERS_ERR errorCode) {
    (void)members;
    (void)userCount;
    (void)errorCode;
  }
  virtual void onAttributesUpdated(const IRtmChannelAttribute* attributes[], int numberOfAttributes) {
    (void)attributes;
    (void)numberOfAttributes;
  }
  virtual void onMemberCountUpdated(int memberCount) { (void)memberCount; }
};

class IChannel {
 protected:
  virtual ~IChannel() {}

 public:
  virtual int join() = 0;
  virtual int leave() = 0;
  virtual int sendMessage(const IMessage* message) = 0;
  virtual int sendMessage(const IMessage* message, const SendMessageOptions& options) = 0;
  virtual const char* getId() const = 0;
  virtual int getMembers() = 0;
  virtual void release() = 0;
};

// Client callbacks (spec §2.1). They run on the SDK's callback thread, one at a time.
class IRtmServiceEventHandler {
 public:
  virtual ~IRtmServiceEventHandler() {}
  virtual void onLoginSuccess() {}
  virtual void onLoginFailure(LOGIN_ERR_CODE errorCode) { (void)errorCode; }
  virtual void onRenewTokenResult(const char* token, RENEW_TOKEN_ERR_CODE errorCode) {
    (void)token;
    (void)errorCode;
  }
  virtual void onTokenExpired() {}
  virtual void onTokenPrivilegeWillExpire() {}
  virtual void onLogout(LOGOUT_ERR_CODE errorCode) { (void)errorCode; }
  virtual void onConnectionStateChanged(CONNECTION_STATE state, CONNECTION_CHANGE_REASON reason) {
    (void)state;
    (void)reason;
  }
  virtual void onSendMessageResult(long long messageId, PEER_MESSAGE_ERR_CODE errorCode) {
    (void)messageId;
    (void)errorCode;
  }
  virtual void onMessageReceivedFromPeer(const char* peerId, const IMessage* message) {
    (void)peerId;
    (void)message;
  }
  virtual void onImageMessageReceivedFromPeer(const char* peerId, const IImageMessage* message) {
    (void)peerId;
    (void)message;
  }
  virtual void onFileMessageReceivedFromPeer(const char* peerId, const IFileMessage* message) {
    (void)peerId;
    (void)message;
  }
  virtual void onMediaUploadingProgress(long long requestId, const MediaOperationProgress& progress) {
    (void)requestId;
    (void)progress;
  }
  virtual void onMediaDownloadingProgress(long long requestId, const MediaOperationProgress& progress) {
    (void)requestId;
    (void)progress;
  }
  virtual void onFileMediaUploadResult(long long requestId, IFileMessage* fileMessage, UPLOAD_MEDIA_ERR_CODE code) {
    (void)requestId;
    (void)fileMessage;
    (void)code;
  }
  virtual void onImageMediaUploadResult(long long requestId, IImageMessage* imageMessage, UPLOAD_MEDIA_ERR_CODE code) {
    (void)requestId;
    (void)imageMessage;
    (void)code;
  }
  virtual void onMediaDownloadToFileResult(long long requestId, DOWNLOAD_MEDIA_ERR_CODE code) {
    (void)requestId;
    (void)code;
  }
  virtual void onMediaDownloadToMemoryResult(long long requestId, const char* memory, long long length,
                                             DOWNLOAD_MEDIA_ERR_CODE code) {
    (void)requestId;
    (void)memory;
    (void)length;
    (void)code;
  }
  virtual void onMediaCancelResult(long long requestId, CANCEL_MEDIA_ERR_CODE code) {
    (void)requestId;
    (void)code;
  }
  virtual void onQueryPeersOnlineStatusResult(long long requestId, const PeerOnlineStatus* peersStatus, int peerCount,
                                              QUERY_PEERS_ONLINE_STATUS_ERR errorCode) {
    (void)requestId;
    (void)peersStatus;
    (void)peerCount;
    (void)errorCode;
  }
  virtual void onSubscriptionRequestResult(long long requestId, PEER_SUBSCRIPTION_STATUS_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onQueryPeersBySubscriptionOptionResult(long long requestId, const char* peerIds[], int peerCount,
                                                      QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR errorCode) {
    (void)requestId;
    (void)peerIds;
    (void)peerCount;
    (void)errorCode;
  }
  virtual void onPeersOnlineStatusChanged(const PeerOnlineStatus peersStatus[], int peerCount) {
    (void)peersStatus;
    (void)peerCount;
  }
  virtual void onSetLocalUserAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onAddOrUpdateLocalUserAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onDeleteLocalUserAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onClearLocalUserAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onGetUserAttributesResult(long long requestId, const char* userId, const RtmAttribute* attributes,
                                         int numberOfAttributes, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)userId;
    (void)attributes;
    (void)numberOfAttributes;
    (void)errorCode;
  }
  virtual void onSetChannelAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onAddOrUpdateChannelAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onDeleteChannelAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onClearChannelAttributesResult(long long requestId, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)errorCode;
  }
  virtual void onGetChannelAttributesResult(long long requestId, const IRtmChannelAttribute* attributes[],
                                            int numberOfAttributes, ATTRIBUTE_OPERATION_ERR errorCode) {
    (void)requestId;
    (void)attributes;
    (void)numberOfAttributes;
    (void)errorCode;
  }
  virtual void onGetChannelMemberCountResult(long long requestId, const ChannelMemberCount* channelMemberCounts,
                                             int channelCount, GET_CHANNEL_MEMBER_COUNT_ERR_CODE errorCode) {
    (void)requestId;
    (void)channelMemberCounts;
    (void)channelCount;
    (void)errorCode;
  }
};

class IRtmCallManager;
class IRtmCallEventHandler;

enum LOG_FILTER_TYPE {
  LOG_FILTER_OFF = 0,
  LOG_FILTER_INFO = 0x000f,
  LOG_FILTER_WARN = 0x000e,
  LOG_FILTER_ERROR = 0x000c,
  LOG_FILTER_CRITICAL = 0x0008,
  LOG_FILTER_MASK = 0x80f,
};

class IRtmService {
 protected:
  virtual ~IRtmService() {}

 public:
  virtual int initialize(const char* appId, IRtmServiceEventHandler* eventHandler) = 0;
  virtual void addEventHandler(IRtmServiceEventHandler* eventHandler) = 0;
  virtual void removeEventHandler(IRtmServiceEventHandler* eventHandler) = 0;
  virtual void release(bool sync = false) = 0;
  virtual int login(const char* token, const char* userId) = 0;
  virtual int logout() = 0;
  virtual int renewToken(const char* token) = 0;
  virtual int sendMessageToPeer(const char* peerId, const IMessage* message) = 0;
  virtual int downloadMediaToMemory(const char* mediaId, long long& requestId) = 0;
  virtual int downloadMediaToFile(const char* mediaId, const char* filePath, long long& requestId) = 0;
  virtual int cancelMediaDownload(long long requestId) = 0;
  virtual int cancelMediaUpload(long long requestId) = 0;
  virtual int sendMessageToPeer(const char* peerId, const IMessage* message, const SendMessageOptions& options) = 0;
  virtual IChannel* createChannel(const char* channelId, IChannelEventHandler* eventHandler) = 0;
  virtual IRtmCallManager* getRtmCallManager(IRtmCallEventHandler* eventHandler) = 0;
  virtual IMessage* createMessage() = 0;
  virtual IMessage* createMessage(const char* message) = 0;
  virtual IMessage* createMessage(const uint8_t* rawData, int length) = 0;
  virtual IMessage* createMessage(const uint8_t* rawData, int length, const char* description) = 0;
  virtual IFileMessage* createFileMessageByMediaId(const char* mediaId) = 0;
  virtual IImageMessage* createImageMessageByMediaId(const char* mediaId) = 0;
  virtual int createFileMessageByUploading(const char* filePath, long long& requestId) = 0;
  virtual int createImageMessageByUploading(const char* filePath, long long& requestId) = 0;
  virtual IRtmChannelAttribute* createChannelAttribute() = 0;
  virtual int setParameters(const char* parameters) = 0;
  virtual int queryPeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) = 0;
  virtual int subscribePeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) = 0;
  virtual int unsubscribePeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) = 0;
  virtual int queryPeersBySubscriptionOption(PEER_SUBSCRIPTION_OPTION option, long long& requestId) = 0;
  virtual int setLocalUserAttributes(const RtmAttribute* attributes, int numberOfAttributes, long long& requestId) = 0;
  virtual int addOrUpdateLocalUserAttributes(const RtmAttribute* attributes, int numberOfAttributes,
                                             long long& requestId) = 0;
  virtual int deleteLocalUserAttributesByKeys(const char* attributeKeys[], int numberOfKeys, long long& requestId) = 0;
  virtual int clearLocalUserAttributes(long long& requestId) = 0;
  virtual int getUserAttributes(const char* userId, long long& requestId) = 0;
  virtual int getUserAttributesByKeys(const char* userId, const char* attributeKeys[], int numberOfKeys,
                                      long long& requestId) = 0;
  virtual int setChannelAttributes(const char* channelId, const IRtmChannelAttribute* attributes[],
                                   int numberOfAttributes, const ChannelAttributeOptions& options,
                                   long long& requestId) = 0;
  virtual int addOrUpdateChannelAttributes(const char* channelId, const IRtmChannelAttribute* attributes[],
                                           int numberOfAttributes, const ChannelAttributeOptions& options,
                                           long long& requestId) = 0;
  virtual int deleteChannelAttributesByKeys(const char* channelId, const char* attributeKeys[], int numberOfKeys,
                                            const ChannelAttributeOptions& options, long long& requestId) = 0;
  virtual int clearChannelAttributes(const char* channelId, const ChannelAttributeOptions& options,
                                     long long& requestId) = 0;
  virtual int getChannelAttributes(const char* channelId, long long& requestId) = 0;
  virtual int getChannelAttributesByKeys(const char* channelId, const char* attributeKeys[], int numberOfKeys,
                                         long long& requestId) = 0;
  virtual int getChannelMemberCount(const char* channelIds[], int channelCount, long long& requestId) = 0;
  virtual int setLogFile(const char* logfile) = 0;
  virtual int setLogFilter(LOG_FILTER_TYPE filter) = 0;
  virtual int setLogFileSize(int fileSizeInKBytes) = 0;
};

AGORA_API IRtmService* AGORA_CALL createRtmService();
AGORA_API const char* AGORA_CALL getRtmSdkVersion();

enum RTM_AREA_CODE {
  AREA_CODE_CN = (1 << 0),
  AREA_CODE_NA = (1 << 1),
  AREA_CODE_EU = (1 << 2),
  AREA_CODE_AS = (1 << 3),
  AREA_CODE_JP = (1 << 4),
  AREA_CODE_IN = (1 << 5),
  AREA_CODE_GLOB = (0xFFFFFFFF),
};

// Agora writes `int areaCode = AREA_CODE_GLOB;`, which GCC flags (-Woverflow: 0xFFFFFFFF does
// not fit an int). The value stored is the same, all bits set.
struct RtmServiceContext {
  int areaCode = static_cast<int>(AREA_CODE_GLOB);
};

enum SET_RTM_SERVICE_CONTEXT_ERR_CODE {
  SET_RTM_SERVICE_CONTEXT_ERR_OK = 0,
  SET_RTM_SERVICE_CONTEXT_ERR_FAILURE = 1,
};

AGORA_API SET_RTM_SERVICE_CONTEXT_ERR_CODE AGORA_CALL setRtmServiceContext(const RtmServiceContext& context);

}  // namespace rtm
}  // namespace agora
