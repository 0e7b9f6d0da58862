// Messages (spec §1.6): the IMessage / IFileMessage / IImageMessage objects, the channel member
// and channel attribute objects, and their wire form (protocol §3.3).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "IAgoraRtmService.h"

namespace openrtm {

using agora::rtm::MESSAGE_TYPE;

struct MessageData {
  MESSAGE_TYPE type = agora::rtm::MESSAGE_TYPE_TEXT;
  long long id = 0;
  std::string text;  // TEXT: the text; RAW, FILE, IMAGE: the description
  std::string raw;
  long long server_ts = 0;
  bool offline = false;
  // FILE and IMAGE (protocol §3.3 `media`).
  std::string media_id, file_name, thumbnail;
  long long size = 0;
  int width = 0, height = 0, thumb_width = 0, thumb_height = 0;
};

// A new message id: unique in the process, increasing (Agora's getMessageId()).
long long next_message_id();

agora::rtm::IMessage* make_message(MessageData data);  // TEXT or RAW
agora::rtm::IFileMessage* make_file_message(MessageData data);
agora::rtm::IImageMessage* make_image_message(MessageData data);

// Deletes a message made by make_*() (received messages, owned by the SDK).
struct MessageDeleter {
  void operator()(agora::rtm::IMessage* m) const { m->release(); }
};

// The wire `msg` of a message the app gave us, read through the public interface so that an
// app's own IMessage implementation works too. Returns false when it breaks a rule of spec §5.2
// (the operation's "invalid message" code). `peer` adds the end-call check (protocol §3.4).
bool encode_message(const agora::rtm::IMessage* message, bool peer, nlohmann::json& out);
// A received `msg` (type absent means TEXT), with the push's `ts` and `offline`.
agora::rtm::IMessage* decode_message(const nlohmann::json& msg, long long ts, bool offline);

std::string base64_encode(const std::string& bytes);
bool base64_decode(const std::string& text, std::string& out);

agora::rtm::IChannelMember* make_member(std::string user_id, std::string channel_id);
agora::rtm::IRtmChannelAttribute* make_channel_attribute(std::string key = {}, std::string value = {},
                                                         std::string user = {}, long long ts = 0);

}  // namespace openrtm
