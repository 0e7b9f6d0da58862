#include "messages.h"

#include <atomic>

#include "limits.h"

namespace openrtm {

using namespace agora::rtm;
using nlohmann::json;

long long next_message_id() {
  static std::atomic<long long> counter{0};
  return ++counter;
}

namespace {

// The IMessage part shared by the three message classes.
template <class Base>
class MessageBase : public Base {
 public:
  explicit MessageBase(MessageData d) : d_(std::move(d)) {
    if (d_.id == 0) d_.id = next_message_id();
  }
  long long getMessageId() const override { return d_.id; }
  MESSAGE_TYPE getMessageType() const override { return d_.type; }
  void setText(const char* str) override { d_.text = str ? str : ""; }
  const char* getText() const override { return d_.text.c_str(); }
  const char* getRawMessageData() const override { return d_.raw.data(); }
  int getRawMessageLength() const override { return static_cast<int>(d_.raw.size()); }
  long long getServerReceivedTs() const override { return d_.server_ts; }
  bool isOfflineMessage() const override { return d_.offline; }
  void release() override { delete this; }

 protected:
  MessageData d_;
};

class Message final : public MessageBase<IMessage> {
 public:
  using MessageBase::MessageBase;
};

template <class Base>
class MediaMessage : public MessageBase<Base> {
 public:
  using MessageBase<Base>::MessageBase;
  long long getSize() const override { return this->d_.size; }
  const char* getMediaId() const override { return this->d_.media_id.c_str(); }
  const char* getThumbnailData() const override { return this->d_.thumbnail.data(); }
  long long getThumbnailLength() const override { return static_cast<long long>(this->d_.thumbnail.size()); }
  void setFileName(const char* name) override { this->d_.file_name = name ? name : ""; }
  const char* getFileName() const override { return this->d_.file_name.c_str(); }

 protected:
  void set_thumb(const uint8_t* data, long long length) {
    if (data == nullptr || length <= 0) {
      this->d_.thumbnail.clear();
      return;
    }
    this->d_.thumbnail.assign(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  }
};

class FileMessage final : public MediaMessage<IFileMessage> {
 public:
  using MediaMessage::MediaMessage;
  void setThumbnail(const uint8_t* thumbnail, int length) override { set_thumb(thumbnail, length); }
};

class ImageMessage final : public MediaMessage<IImageMessage> {
 public:
  using MediaMessage::MediaMessage;
  void setThumbnail(const uint8_t* thumbnail, long long length) override { set_thumb(thumbnail, length); }
  void setWidth(int v) override { d_.width = v; }
  int getWidth() const override { return d_.width; }
  void setHeight(int v) override { d_.height = v; }
  int getHeight() const override { return d_.height; }
  void setThumbnailWidth(int v) override { d_.thumb_width = v; }
  int getThumbnailWidth() const override { return d_.thumb_width; }
  void setThumbnailHeight(int v) override { d_.thumb_height = v; }
  int getThumbnailHeight() const override { return d_.thumb_height; }
};

class ChannelMember final : public IChannelMember {
 public:
  ChannelMember(std::string u, std::string c) : user_(std::move(u)), channel_(std::move(c)) {}
  const char* getUserId() const override { return user_.c_str(); }
  const char* getChannelId() const override { return channel_.c_str(); }
  void release() override { delete this; }

 private:
  std::string user_, channel_;
};

class ChannelAttribute final : public IRtmChannelAttribute {
 public:
  ChannelAttribute(std::string k, std::string v, std::string u, long long ts)
      : key_(std::move(k)), value_(std::move(v)), user_(std::move(u)), ts_(ts) {}
  void setKey(const char* key) override { key_ = key ? key : ""; }
  const char* getKey() const override { return key_.c_str(); }
  void setValue(const char* value) override { value_ = value ? value : ""; }
  const char* getValue() const override { return value_.c_str(); }
  const char* getLastUpdateUserId() const override { return user_.c_str(); }
  long long getLastUpdateTs() const override { return ts_; }
  void release() override { delete this; }

 private:
  std::string key_, value_, user_;
  long long ts_;
};

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

IMessage* make_message(MessageData data) { return new Message(std::move(data)); }
IFileMessage* make_file_message(MessageData data) {
  data.type = MESSAGE_TYPE_FILE;
  return new FileMessage(std::move(data));
}
IImageMessage* make_image_message(MessageData data) {
  data.type = MESSAGE_TYPE_IMAGE;
  return new ImageMessage(std::move(data));
}
IChannelMember* make_member(std::string user_id, std::string channel_id) {
  return new ChannelMember(std::move(user_id), std::move(channel_id));
}
IRtmChannelAttribute* make_channel_attribute(std::string key, std::string value, std::string user, long long ts) {
  return new ChannelAttribute(std::move(key), std::move(value), std::move(user), ts);
}

std::string base64_encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(const std::string& in, std::string& out) {
  out.clear();
  if (in.size() % 4 != 0) return false;
  unsigned v = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    int d;
    if (c == '=') {
      if (i + 2 < in.size()) return false;
      ++pad;
      continue;
    }
    if (pad) return false;
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    if (p == nullptr) return false;
    d = static_cast<int>(p - kB64);
    v = (v << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xFF);
    }
  }
  return true;
}

bool encode_message(const IMessage* message, bool peer, json& out) {
  if (message == nullptr) return false;
  const char* text_p = message->getText();
  std::string text = text_p ? text_p : "";
  if (!valid_utf8(text)) return false;
  switch (message->getMessageType()) {
    case MESSAGE_TYPE_UNDEFINED:
    case MESSAGE_TYPE_TEXT:
      if (text.size() > kMaxMessageBytes) return false;
      if (peer && malformed_end_call(text)) return false;
      out = json{{"type", "TEXT"}, {"text", text}};
      return true;
    case MESSAGE_TYPE_RAW: {
      int length = message->getRawMessageLength();
      const char* data = message->getRawMessageData();
      if (length < 0 || (length > 0 && data == nullptr)) return false;
      std::string raw(data ? data : "", static_cast<std::size_t>(length));
      if (raw.size() + text.size() > kMaxMessageBytes) return false;
      out = json{{"type", "RAW"}, {"raw", base64_encode(raw)}};
      if (!text.empty()) out["description"] = text;
      return true;
    }
    case MESSAGE_TYPE_FILE:
    case MESSAGE_TYPE_IMAGE: {
      bool image = message->getMessageType() == MESSAGE_TYPE_IMAGE;
      json media;
      std::string name, thumb;
      long long size = 0;
      if (image) {
        auto* m = dynamic_cast<const IImageMessage*>(message);
        if (m == nullptr || m->getMediaId() == nullptr) return false;
        media["id"] = m->getMediaId();
        name = m->getFileName() ? m->getFileName() : "";
        if (m->getThumbnailLength() > 0 && m->getThumbnailData())
          thumb.assign(m->getThumbnailData(), static_cast<std::size_t>(m->getThumbnailLength()));
        size = m->getSize();
        if (m->getWidth() > 0) media["width"] = m->getWidth();
        if (m->getHeight() > 0) media["height"] = m->getHeight();
        if (m->getThumbnailWidth() > 0) media["thumb_width"] = m->getThumbnailWidth();
        if (m->getThumbnailHeight() > 0) media["thumb_height"] = m->getThumbnailHeight();
      } else {
        auto* m = dynamic_cast<const IFileMessage*>(message);
        if (m == nullptr || m->getMediaId() == nullptr) return false;
        media["id"] = m->getMediaId();
        name = m->getFileName() ? m->getFileName() : "";
        if (m->getThumbnailLength() > 0 && m->getThumbnailData())
          thumb.assign(m->getThumbnailData(), static_cast<std::size_t>(m->getThumbnailLength()));
        size = m->getSize();
      }
      if (!valid_utf8(name) || name.size() + text.size() + thumb.size() > kMaxMessageBytes) return false;
      if (!name.empty()) media["name"] = name;
      if (size > 0) media["size"] = size;
      if (!thumb.empty()) media["thumb"] = base64_encode(thumb);
      out = json{{"type", image ? "IMAGE" : "FILE"}, {"media", media}};
      if (!text.empty()) out["description"] = text;
      return true;
    }
  }
  return false;
}

namespace {
template <class T>
T field(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}
}  // namespace

IMessage* decode_message(const json& msg, long long ts, bool offline) {
  MessageData d;
  d.server_ts = ts;
  d.offline = offline;
  std::string type = msg.is_object() ? field<std::string>(msg, "type", "TEXT") : "TEXT";
  if (!msg.is_object()) return make_message(std::move(d));
  if (type == "RAW") {
    d.type = MESSAGE_TYPE_RAW;
    d.text = field<std::string>(msg, "description", "");
    if (!base64_decode(field<std::string>(msg, "raw", ""), d.raw)) d.raw.clear();
    return make_message(std::move(d));
  }
  if ((type == "FILE" || type == "IMAGE") && msg.contains("media") && msg["media"].is_object()) {
    const json& media = msg["media"];
    d.text = field<std::string>(msg, "description", "");
    d.media_id = field<std::string>(media, "id", "");
    d.file_name = field<std::string>(media, "name", "");
    d.size = field<long long>(media, "size", 0);
    if (!base64_decode(field<std::string>(media, "thumb", ""), d.thumbnail)) d.thumbnail.clear();
    if (type == "FILE") return make_file_message(std::move(d));
    d.width = field<int>(media, "width", 0);
    d.height = field<int>(media, "height", 0);
    d.thumb_width = field<int>(media, "thumb_width", 0);
    d.thumb_height = field<int>(media, "thumb_height", 0);
    return make_image_message(std::move(d));
  }
  d.text = field<std::string>(msg, "text", "");
  return make_message(std::move(d));
}

}  // namespace openrtm
