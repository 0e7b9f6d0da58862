// IChannel (spec §1.4, §2.2, §6.4, §6.8; protocol §3.7-§3.11): join, leave, channel messages,
// members, and the pushes of a joined channel.
#include <memory>

#include "messages.h"
#include "service.h"

namespace openrtm {

void Channel::emit(std::function<void(IChannelEventHandler*)> fn) {
  if (handler_ == nullptr) return;
  std::shared_ptr<Channel> self = shared_from_this();
  service_->dispatcher_.post([self, fn = std::move(fn)] {
    if (!self->released_) fn(self->handler_);
  });
}

int Channel::join() {
  Service& s = *service_;
  std::lock_guard<std::mutex> lock(s.mu_);
  if (!s.initialized_) return JOIN_CHANNEL_ERR_NOT_INITIALIZED;
  if (!s.connected()) return JOIN_CHANNEL_ERR_USER_NOT_LOGGED_IN;
  if (membership_ != Membership::kIdle) return JOIN_CHANNEL_ERR_ALREADY_JOINED;
  int joined = 0;
  for (auto& [id, ch] : s.channels_)
    if (ch->membership_ != Membership::kIdle) ++joined;
  if (joined >= kMaxJoinedChannels) return JOIN_CHANNEL_ERR_EXCEED_LIMIT;
  if (!s.join_rate_.take()) return JOIN_CHANNEL_ERR_TOO_OFTEN;
  if (!join_rate_.take()) return JOIN_CHANNEL_ERR_JOIN_SAME_CHANNEL_TOO_OFTEN;
  membership_ = Membership::kJoining;
  s.request("join", json{{"channel", id_}}, kRequestTimeout, JOIN_CHANNEL_TIMEOUT, JOIN_CHANNEL_ERR_USER_NOT_LOGGED_IN,
            [this, self = shared_from_this()](const json* result, int code) {
              if (membership_ != Membership::kJoining) return;  // left meanwhile
              if (result != nullptr) {
                membership_ = Membership::kJoined;
                emit([](IChannelEventHandler* h) { h->onJoinSuccess(); });
              } else {
                membership_ = Membership::kIdle;
                auto c = static_cast<JOIN_CHANNEL_ERR>(code);
                emit([c](IChannelEventHandler* h) { h->onJoinFailure(c); });
              }
            });
  return JOIN_CHANNEL_ERR_OK;
}

int Channel::leave() {
  Service& s = *service_;
  std::lock_guard<std::mutex> lock(s.mu_);
  if (!s.initialized_) return LEAVE_CHANNEL_ERR_NOT_INITIALIZED;
  if (!s.connected()) return LEAVE_CHANNEL_ERR_USER_NOT_LOGGED_IN;
  if (membership_ == Membership::kIdle) return LEAVE_CHANNEL_ERR_NOT_IN_CHANNEL;
  membership_ = Membership::kIdle;  // pushes of this channel are dropped from now on
  s.request("leave", json{{"channel", id_}}, kRequestTimeout, LEAVE_CHANNEL_ERR_FAILURE,
            LEAVE_CHANNEL_ERR_USER_NOT_LOGGED_IN, [this, self = shared_from_this()](const json* result, int code) {
              auto c = static_cast<LEAVE_CHANNEL_ERR>(result ? 0 : code);
              emit([c](IChannelEventHandler* h) { h->onLeave(c); });
            });
  return LEAVE_CHANNEL_ERR_OK;
}

int Channel::sendMessage(const IMessage* message) { return sendMessage(message, SendMessageOptions()); }

int Channel::sendMessage(const IMessage* message, const SendMessageOptions& options) {
  Service& s = *service_;
  std::lock_guard<std::mutex> lock(s.mu_);
  if (!s.initialized_) return CHANNEL_MESSAGE_ERR_NOT_INITIALIZED;
  json msg;
  if (!encode_message(message, false, msg)) return CHANNEL_MESSAGE_ERR_INVALID_MESSAGE;
  bool reconnecting = s.state_ == CONNECTION_STATE_RECONNECTING && !s.logging_out_;
  if (!(s.state_ == CONNECTION_STATE_CONNECTED && !s.logging_out_) && !reconnecting)
    return CHANNEL_MESSAGE_ERR_USER_NOT_LOGGED_IN;
  // Agora's C++ enum has no NOT_IN_CHANNEL (the Web SDK's 5): a generic failure.
  if (membership_ != Membership::kJoined) return CHANNEL_MESSAGE_ERR_FAILURE;
  if (!s.message_rate_.take()) return CHANNEL_MESSAGE_ERR_TOO_OFTEN;
  long long message_id = message->getMessageId();
  json fields{{"channel", id_}, {"mid", s.next_mid()}, {"msg", std::move(msg)}};
  if (options.enableHistoricalMessaging) fields["history"] = true;
  s.request("channel_msg", std::move(fields), kRequestTimeout, CHANNEL_MESSAGE_ERR_SENT_TIMEOUT,
            CHANNEL_MESSAGE_ERR_USER_NOT_LOGGED_IN, [this, self = shared_from_this(), message_id](const json* result, int code) {
              auto c = static_cast<CHANNEL_MESSAGE_ERR_CODE>(result ? 0 : code);
              emit([message_id, c](IChannelEventHandler* h) { h->onSendMessageResult(message_id, c); });
            });
  return CHANNEL_MESSAGE_ERR_OK;
}

int Channel::getMembers() {
  Service& s = *service_;
  std::lock_guard<std::mutex> lock(s.mu_);
  if (!s.initialized_) return GET_MEMBERS_ERR_NOT_INITIALIZED;
  if (!s.connected()) return GET_MEMBERS_ERR_USER_NOT_LOGGED_IN;
  if (membership_ != Membership::kJoined) return GET_MEMBERS_ERR_NOT_IN_CHANNEL;
  if (!s.members_rate_.take()) return GET_MEMBERS_ERR_TOO_OFTEN;
  s.request("get_members", json{{"channel", id_}}, kShortTimeout, GET_MEMBERS_ERR_TIMEOUT,
            GET_MEMBERS_ERR_USER_NOT_LOGGED_IN, [this, self = shared_from_this()](const json* result, int code) {
              std::vector<std::string> ids;
              if (result && result->is_object() && result->contains("members") && (*result)["members"].is_array())
                for (const auto& m : (*result)["members"])
                  if (m.is_string()) ids.push_back(m.get<std::string>());
              auto c = static_cast<GET_MEMBERS_ERR>(result ? 0 : code);
              std::string channel = id_;
              emit([ids, c, channel](IChannelEventHandler* h) {
                std::vector<IChannelMember*> members;
                for (const auto& id : ids) members.push_back(make_member(id, channel));
                h->onGetMembers(members.empty() ? nullptr : members.data(), static_cast<int>(members.size()), c);
                for (auto* m : members) m->release();
              });
            });
  return GET_MEMBERS_ERR_OK;
}

void Channel::release() {
  std::shared_ptr<Channel> keep = shared_from_this();  // destroyed after the lock is let go
  Service& s = *service_;
  std::lock_guard<std::mutex> lock(s.mu_);
  if (membership_ != Membership::kIdle && s.connected())
    s.request("leave", json{{"channel", id_}}, kRequestTimeout, -1, -1, [](const json*, int) {});
  membership_ = Membership::kIdle;
  released_ = true;
  s.channels_.erase(id_);  // the last owner may be a queued callback
}

void Channel::on_push(const std::string& type, const json& push) {
  if (membership_ == Membership::kIdle) return;
  if (type == "channel_msg") {
    long long ts = push.contains("ts") && push["ts"].is_number_integer() ? push["ts"].get<long long>() : 0;
    static const json empty = json::object();
    std::shared_ptr<IMessage> message(decode_message(push.contains("msg") ? push["msg"] : empty, ts, false),
                                      MessageDeleter());
    std::string from = push.value("from", std::string());
    emit([message, from](IChannelEventHandler* h) {
      switch (message->getMessageType()) {
        case MESSAGE_TYPE_FILE:
          h->onFileMessageReceived(from.c_str(), dynamic_cast<const IFileMessage*>(message.get()));
          break;
        case MESSAGE_TYPE_IMAGE:
          h->onImageMessageReceived(from.c_str(), dynamic_cast<const IImageMessage*>(message.get()));
          break;
        default:
          h->onMessageReceived(from.c_str(), message.get());
      }
    });
  } else if (type == "member_joined" || type == "member_left") {
    std::string uid = push.value("uid", std::string());
    std::string channel = id_;
    bool joined = type == "member_joined";
    emit([uid, channel, joined](IChannelEventHandler* h) {
      IChannelMember* m = make_member(uid, channel);
      if (joined) {
        h->onMemberJoined(m);
      } else {
        h->onMemberLeft(m);
      }
      m->release();
    });
  } else if (type == "member_count") {
    int count = push.contains("count") && push["count"].is_number_integer() ? push["count"].get<int>() : 0;
    emit([count](IChannelEventHandler* h) { h->onMemberCountUpdated(count); });
  } else if (type == "channel_attrs") {
    // Protocol §3.18: the complete set, {key: {value, user, ts}}.
    std::vector<std::tuple<std::string, std::string, std::string, long long>> attrs;
    if (push.contains("attrs") && push["attrs"].is_object())
      for (auto it = push["attrs"].begin(); it != push["attrs"].end(); ++it) {
        const json& a = it.value();
        if (!a.is_object()) continue;
        attrs.emplace_back(it.key(), a.value("value", std::string()), a.value("user", std::string()),
                           a.value("ts", 0LL));
      }
    emit([attrs](IChannelEventHandler* h) {
      std::vector<IRtmChannelAttribute*> made;
      for (const auto& [k, v, u, ts] : attrs) made.push_back(make_channel_attribute(k, v, u, ts));
      std::vector<const IRtmChannelAttribute*> view(made.begin(), made.end());
      h->onAttributesUpdated(view.empty() ? nullptr : view.data(), static_cast<int>(view.size()));
      for (auto* a : made) a->release();
    });
  }
}

}  // namespace openrtm
