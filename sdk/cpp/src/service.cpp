// The API surface of IRtmService: creation, initialize, release, event handlers, message and
// attribute factories, setParameters, the log file, and the operations of the next increment,
// (media, call invitations), which refuse with their operation's failure code (docs/cpp-sdk.md, "Status").
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <random>

#include "messages.h"
#include "service.h"

namespace openrtm {

namespace {
std::atomic<int> g_instances{0};
}

Service::Service() {
  const char* env = std::getenv("OPENRTM_SERVER");
  server_url_ = env && *env ? env : kDefaultServer;
  // Protocol §3.4: mids unique across logins: 8 random hex characters per client, a counter.
  std::random_device rd;
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) mid_prefix_ += hex[rd() % 16];
  ++g_instances;
  reactor_.start(kTick, [this] { tick(); });
}

Service::~Service() { --g_instances; }

void Service::emit(std::function<void(IRtmServiceEventHandler*)> fn) {
  dispatcher_.post([this, fn = std::move(fn)] {
    std::vector<IRtmServiceEventHandler*> handlers;
    {
      std::lock_guard<std::mutex> lock(handlers_mu_);
      handlers = handlers_;
    }
    for (auto* h : handlers) fn(h);
  });
}

int Service::initialize(const char* appId, IRtmServiceEventHandler* eventHandler) {
  std::lock_guard<std::mutex> lock(mu_);
  if (initialized_) return INIT_ERR_ALREADY_INITIALIZED;
  if (!valid_app_id(appId)) return INIT_ERR_INVALID_APP_ID;
  if (eventHandler == nullptr) return INIT_ERR_INVALID_ARGUMENT;
  app_id_ = appId;
  {
    std::lock_guard<std::mutex> hl(handlers_mu_);
    handlers_.push_back(eventHandler);
  }
  initialized_ = true;
  log_.info("initialized, server " + server_url_);
  return INIT_ERR_OK;
}

void Service::addEventHandler(IRtmServiceEventHandler* eventHandler) {
  if (eventHandler == nullptr) return;
  std::lock_guard<std::mutex> lock(handlers_mu_);
  if (std::find(handlers_.begin(), handlers_.end(), eventHandler) == handlers_.end())
    handlers_.push_back(eventHandler);
}

void Service::removeEventHandler(IRtmServiceEventHandler* eventHandler) {
  std::lock_guard<std::mutex> lock(handlers_mu_);
  handlers_.erase(std::remove(handlers_.begin(), handlers_.end(), eventHandler), handlers_.end());
}

void Service::release(bool) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    // A logged-in session ends at once rather than waiting out its grace period (protocol
    // §3.2): send logout, close, and wait (briefly) for the close handshake to finish.
    if (link_ && state_ == CONNECTION_STATE_CONNECTED) {
      releasing_link_id_ = link_id_;
      link_->send(json{{"op", "logout"}, {"id", ++next_request_id_}}.dump());
      link_->close(1000);
      link_.reset();
      link_id_ = 0;
      released_closed_.wait_for(lock, milliseconds(1000), [this] { return releasing_link_id_ == 0; });
    }
    end_session(false);
    for (auto& [id, ch] : channels_) ch->released_ = true;
  }
  reactor_.stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    channels_.clear();
  }
  if (dispatcher_.on_callback_thread()) {
    // Released from one of its own callbacks: the callback thread deletes the service once
    // that callback returns, since it cannot join itself.
    dispatcher_.exit_after_current([this] { delete this; });
    return;
  }
  dispatcher_.stop();
  delete this;
}

IChannel* Service::createChannel(const char* channelId, IChannelEventHandler* eventHandler) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!initialized_ || !valid_id(channelId)) return nullptr;
  auto it = channels_.find(channelId);
  if (it != channels_.end()) return it->second.get();  // spec §2.1: the existing instance
  auto ch = std::make_shared<Channel>(this, channelId, eventHandler);
  channels_.emplace(channelId, ch);
  return ch.get();
}

IMessage* Service::createMessage() {
  MessageData d;
  d.type = MESSAGE_TYPE_TEXT;
  return make_message(std::move(d));
}

IMessage* Service::createMessage(const char* message) {
  MessageData d;
  d.type = MESSAGE_TYPE_TEXT;
  d.text = message ? message : "";
  return make_message(std::move(d));
}

IMessage* Service::createMessage(const uint8_t* rawData, int length) { return createMessage(rawData, length, ""); }

IMessage* Service::createMessage(const uint8_t* rawData, int length, const char* description) {
  MessageData d;
  d.type = MESSAGE_TYPE_RAW;
  if (rawData != nullptr && length > 0) d.raw.assign(reinterpret_cast<const char*>(rawData), std::size_t(length));
  d.text = description ? description : "";
  return make_message(std::move(d));
}

IFileMessage* Service::createFileMessageByMediaId(const char* mediaId) {
  MessageData d;
  d.media_id = mediaId ? mediaId : "";
  return make_file_message(std::move(d));
}

IImageMessage* Service::createImageMessageByMediaId(const char* mediaId) {
  MessageData d;
  d.media_id = mediaId ? mediaId : "";
  return make_image_message(std::move(d));
}

IRtmChannelAttribute* Service::createChannelAttribute() { return make_channel_attribute(); }

int Service::setParameters(const char* parameters) {
  if (parameters == nullptr) return -1;
  json p = json::parse(parameters, nullptr, false);
  if (!p.is_object()) return -1;
  std::lock_guard<std::mutex> lock(mu_);
  // openrtm's own key: the server's WebSocket URL (issue #16). Other keys are Agora's private
  // options and are accepted and ignored.
  auto it = p.find("rtm.server");
  if (it != p.end()) {
    WsUrl url;
    if (!it->is_string() || !parse_ws_url(it->get<std::string>(), url) || url.secure) return -1;
    server_url_ = it->get<std::string>();
    log_.info("server set to " + server_url_);
  }
  return 0;
}

int Service::setLogFile(const char* logfile) { return log_.set_file(logfile) ? 0 : -1; }

int Service::setLogFilter(LOG_FILTER_TYPE filter) {
  log_.set_filter(static_cast<int>(filter));
  return 0;
}

int Service::setLogFileSize(int fileSizeInKBytes) { return log_.set_size_kb(fileSizeInKBytes) ? 0 : -1; }

// ---- Not implemented in this increment (docs/cpp-sdk.md, "Status"): each refuses with its
// operation's generic failure code, after the not-initialized check.

#define OPENRTM_NOT_YET(not_initialized, failure)            \
  do {                                                       \
    std::lock_guard<std::mutex> lock(mu_);                   \
    if (!initialized_) return (not_initialized);             \
    log_.warn(std::string(__func__) + ": not implemented yet"); \
    return (failure);                                        \
  } while (0)

int Service::downloadMediaToMemory(const char*, long long& requestId) {
  requestId = 0;
  OPENRTM_NOT_YET(DOWNLOAD_MEDIA_ERR_NOT_INITIALIZED, DOWNLOAD_MEDIA_ERR_FAILURE);
}
int Service::downloadMediaToFile(const char*, const char*, long long& requestId) {
  requestId = 0;
  OPENRTM_NOT_YET(DOWNLOAD_MEDIA_ERR_NOT_INITIALIZED, DOWNLOAD_MEDIA_ERR_FAILURE);
}
int Service::cancelMediaDownload(long long) {
  OPENRTM_NOT_YET(CANCEL_MEDIA_ERR_NOT_INITIALIZED, CANCEL_MEDIA_ERR_NOT_EXIST);
}
int Service::cancelMediaUpload(long long) { OPENRTM_NOT_YET(CANCEL_MEDIA_ERR_NOT_INITIALIZED, CANCEL_MEDIA_ERR_NOT_EXIST); }
int Service::createFileMessageByUploading(const char*, long long& requestId) {
  requestId = 0;
  OPENRTM_NOT_YET(UPLOAD_MEDIA_ERR_NOT_INITIALIZED, UPLOAD_MEDIA_ERR_FAILURE);
}
int Service::createImageMessageByUploading(const char*, long long& requestId) {
  requestId = 0;
  OPENRTM_NOT_YET(UPLOAD_MEDIA_ERR_NOT_INITIALIZED, UPLOAD_MEDIA_ERR_FAILURE);
}
IRtmCallManager* Service::getRtmCallManager(IRtmCallEventHandler*) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.warn("getRtmCallManager: call invitations are not implemented yet");
  return nullptr;
}
}  // namespace openrtm

namespace agora {
namespace rtm {

IRtmService* createRtmService() { return new openrtm::Service(); }

const char* getRtmSdkVersion() { return "openrtm-cpp 0.1.0 (Agora RTM 1.5 API)"; }

SET_RTM_SERVICE_CONTEXT_ERR_CODE setRtmServiceContext(const RtmServiceContext&) {
  // Areas select Agora's data centres; an openrtm server is chosen by URL instead. As Agora's,
  // the call fails while an instance exists.
  return openrtm::g_instances.load() > 0 ? SET_RTM_SERVICE_CONTEXT_ERR_FAILURE : SET_RTM_SERVICE_CONTEXT_ERR_OK;
}

}  // namespace rtm
}  // namespace agora
