// Peer messages (spec §6.1, §6.2; protocol §3.4-§3.6): sending with end-to-end receipts, and
// receiving with an ack after the app has had the message, de-duplicated by (from, mid).
#include <memory>

#include "messages.h"
#include "service.h"

namespace openrtm {

int Service::sendMessageToPeer(const char* peerId, const IMessage* message) {
  return send_peer(peerId, message, SendMessageOptions());
}

int Service::sendMessageToPeer(const char* peerId, const IMessage* message, const SendMessageOptions& options) {
  return send_peer(peerId, message, options);
}

int Service::send_peer(const char* peer_id, const IMessage* message, const SendMessageOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!initialized_) return PEER_MESSAGE_ERR_NOT_INITIALIZED;
  if (!valid_id(peer_id)) return PEER_MESSAGE_ERR_INVALID_USERID;
  json msg;
  if (!encode_message(message, true, msg)) return PEER_MESSAGE_ERR_INVALID_MESSAGE;
  // Spec §6.1: while RECONNECTING the message waits for the connection (request() queues it).
  bool reconnecting = state_ == CONNECTION_STATE_RECONNECTING && !logging_out_;
  if (!(state_ == CONNECTION_STATE_CONNECTED && !logging_out_) && !reconnecting)
    return PEER_MESSAGE_ERR_USER_NOT_LOGGED_IN;
  if (!message_rate_.take()) return PEER_MESSAGE_ERR_TOO_OFTEN;
  long long message_id = message->getMessageId();
  json fields{{"to", peer_id}, {"mid", next_mid()}, {"msg", std::move(msg)}};
  if (options.enableOfflineMessaging) fields["offline"] = true;
  if (options.enableHistoricalMessaging) fields["history"] = true;
  request("peer_msg", std::move(fields), kRequestTimeout, PEER_MESSAGE_ERR_SENT_TIMEOUT,
          PEER_MESSAGE_ERR_USER_NOT_LOGGED_IN, [this, message_id](const json* result, int code) {
            // Protocol §3.4: received → OK; stored → CACHED_BY_SERVER; otherwise UNREACHABLE.
            if (result != nullptr) {
              bool received = result->is_object() && result->value("received", false);
              bool cached = result->is_object() && result->value("cached", false);
              code = received ? PEER_MESSAGE_ERR_OK
                              : cached ? PEER_MESSAGE_ERR_CACHED_BY_SERVER : PEER_MESSAGE_ERR_PEER_UNREACHABLE;
            }
            auto c = static_cast<PEER_MESSAGE_ERR_CODE>(code);
            emit([message_id, c](IRtmServiceEventHandler* h) { h->onSendMessageResult(message_id, c); });
          });
  return PEER_MESSAGE_ERR_OK;
}

void Service::on_peer_push(const json& push, const std::shared_ptr<WsLink>& link) {
  if (!push.contains("d") || !push["d"].is_number_integer()) return;
  std::string ack = json{{"op", "ack"}, {"d", push["d"]}}.dump();
  std::string from = push.value("from", std::string());
  std::string mid = push.value("mid", std::string());
  auto key = std::make_pair(from, mid);
  // Protocol §9.9: show a (from, mid) pair once, remembering the last 4096, but ack every push.
  if (seen_.count(key)) {
    link->send(ack);
    return;
  }
  seen_.insert(key);
  seen_order_.push_back(key);
  if (seen_order_.size() > 4096) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  long long ts = push.contains("ts") && push["ts"].is_number_integer() ? push["ts"].get<long long>() : 0;
  bool offline = push.value("offline", false);
  static const json empty = json::object();
  std::shared_ptr<IMessage> message(decode_message(push.contains("msg") ? push["msg"] : empty, ts, offline),
                                    MessageDeleter());
  // Protocol §3.5: the ack goes after the app has had the message, on the connection it came on.
  dispatcher_.post([this, message, from, link, ack] {
    std::vector<IRtmServiceEventHandler*> handlers;
    {
      std::lock_guard<std::mutex> lock(handlers_mu_);
      handlers = handlers_;
    }
    for (auto* h : handlers) {
      switch (message->getMessageType()) {
        case MESSAGE_TYPE_FILE:
          h->onFileMessageReceivedFromPeer(from.c_str(), dynamic_cast<const IFileMessage*>(message.get()));
          break;
        case MESSAGE_TYPE_IMAGE:
          h->onImageMessageReceivedFromPeer(from.c_str(), dynamic_cast<const IImageMessage*>(message.get()));
          break;
        default:
          h->onMessageReceivedFromPeer(from.c_str(), message.get());
      }
    }
    link->send(ack);
  });
}

}  // namespace openrtm
