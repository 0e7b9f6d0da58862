// User and channel attributes (spec §5.3, §6.6, §6.7; protocol §3.17, §3.18).
#include <map>

#include "messages.h"
#include "service.h"

namespace openrtm {

namespace {

constexpr std::size_t kMaxAttributes = 32;
constexpr std::size_t kMaxKeyBytes = 32;
constexpr std::size_t kMaxValueBytes = 8192;

// Checks a key/value map against spec §5.3; 0 when it passes, else the attribute code.
int check_attrs(const std::map<std::string, std::string>& attrs, std::size_t max_total) {
  if (attrs.size() > kMaxAttributes) return ATTRIBUTE_OPERATION_ERR_SIZE_OVERFLOW;
  std::size_t total = 0;
  for (const auto& [k, v] : attrs) {
    if (v.size() > kMaxValueBytes) return ATTRIBUTE_OPERATION_ERR_SIZE_OVERFLOW;
    total += k.size() + v.size();
  }
  return total > max_total ? ATTRIBUTE_OPERATION_ERR_SIZE_OVERFLOW : 0;
}

bool valid_key(const char* key) {
  if (key == nullptr) return false;
  std::string k = key;
  return !k.empty() && k.size() <= kMaxKeyBytes && valid_utf8(k);
}

bool valid_value(const char* value) {
  return value != nullptr && *value != '\0' && valid_utf8(value);
}

// The keys of a delete or get-by-keys call: 1 to 32 valid keys.
bool collect_keys(const char* keys[], int count, std::vector<std::string>& out) {
  if (keys == nullptr || count < 1 || count > static_cast<int>(kMaxAttributes)) return false;
  for (int i = 0; i < count; ++i) {
    if (!valid_key(keys[i])) return false;
    out.emplace_back(keys[i]);
  }
  return true;
}

json attrs_json(const std::map<std::string, std::string>& attrs) {
  json out = json::object();
  for (const auto& [k, v] : attrs) out[k] = v;
  return out;
}

}  // namespace

int Service::attribute_preamble(long long& requestId, RateLimit& rate) {
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  if (!connected()) return ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN;
  if (!rate.take()) return ATTRIBUTE_OPERATION_ERR_TOO_OFTEN;
  requestId = next_request_id_ + 1;  // the id request() assigns
  return 0;
}

// ---- user attributes

int Service::user_write(const char* op, json fields, std::map<std::string, std::string> after, long long& requestId,
                        void (IRtmServiceEventHandler::*callback)(long long, ATTRIBUTE_OPERATION_ERR)) {
  if (int c = attribute_preamble(requestId, user_write_rate_)) return c;
  long long rid = requestId;
  request(op, std::move(fields), kShortTimeout, ATTRIBUTE_OPERATION_ERR_TIMEOUT,
          ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN,
          [this, rid, after = std::move(after), callback](const json* result, int code) {
            if (result) user_attrs_ = after;  // restored after a re-login (protocol §9.6)
            auto c = static_cast<ATTRIBUTE_OPERATION_ERR>(result ? 0 : code);
            emit([rid, c, callback](IRtmServiceEventHandler* h) { (h->*callback)(rid, c); });
          });
  return ATTRIBUTE_OPERATION_ERR_OK;
}

int Service::setLocalUserAttributes(const RtmAttribute* attributes, int numberOfAttributes, long long& requestId) {
  return user_attrs_write(attributes, numberOfAttributes, requestId, false);
}

int Service::addOrUpdateLocalUserAttributes(const RtmAttribute* attributes, int numberOfAttributes,
                                            long long& requestId) {
  return user_attrs_write(attributes, numberOfAttributes, requestId, true);
}

int Service::user_attrs_write(const RtmAttribute* attributes, int n, long long& requestId, bool update) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  if (attributes == nullptr || n < 1) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  std::map<std::string, std::string> attrs;
  for (int i = 0; i < n; ++i) {
    if (!valid_key(attributes[i].key) || !valid_value(attributes[i].value))
      return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
    attrs[attributes[i].key] = attributes[i].value;
  }
  if (int c = check_attrs(attrs, 16384)) return c;
  std::map<std::string, std::string> after = attrs;
  if (update) {
    // Protocol §9.1: an add-or-update is checked on the merge with our own copy.
    after = user_attrs_;
    for (const auto& [k, v] : attrs) after[k] = v;
    if (int c = check_attrs(after, 16384)) return c;
  }
  return user_write(update ? "update_user_attrs" : "set_user_attrs", json{{"attrs", attrs_json(attrs)}},
                    std::move(after), requestId,
                    update ? &IRtmServiceEventHandler::onAddOrUpdateLocalUserAttributesResult
                           : &IRtmServiceEventHandler::onSetLocalUserAttributesResult);
}

int Service::deleteLocalUserAttributesByKeys(const char* attributeKeys[], int numberOfKeys, long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  std::vector<std::string> keys;
  if (!collect_keys(attributeKeys, numberOfKeys, keys)) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  auto after = user_attrs_;
  for (const auto& k : keys) after.erase(k);
  return user_write("delete_user_attrs", json{{"keys", keys}}, std::move(after), requestId,
                    &IRtmServiceEventHandler::onDeleteLocalUserAttributesResult);
}

int Service::clearLocalUserAttributes(long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  return user_write("clear_user_attrs", json::object(), {}, requestId,
                    &IRtmServiceEventHandler::onClearLocalUserAttributesResult);
}

int Service::getUserAttributes(const char* userId, long long& requestId) {
  return user_attrs_get(userId, nullptr, 0, requestId, false);
}

int Service::getUserAttributesByKeys(const char* userId, const char* attributeKeys[], int numberOfKeys,
                                     long long& requestId) {
  return user_attrs_get(userId, attributeKeys, numberOfKeys, requestId, true);
}

int Service::user_attrs_get(const char* user_id, const char* keys_in[], int n, long long& requestId, bool by_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  if (!valid_id(user_id)) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  std::vector<std::string> keys;
  if (by_keys && !collect_keys(keys_in, n, keys)) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  if (int c = attribute_preamble(requestId, user_read_rate_)) return c;
  json fields{{"uid", user_id}};
  if (by_keys) fields["keys"] = keys;
  long long rid = requestId;
  std::string uid = user_id;
  request("get_user_attrs", std::move(fields), kShortTimeout, ATTRIBUTE_OPERATION_ERR_TIMEOUT,
          ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN, [this, rid, uid](const json* result, int code) {
            std::vector<std::pair<std::string, std::string>> attrs;
            if (result && result->contains("attrs") && (*result)["attrs"].is_object())
              for (auto it = (*result)["attrs"].begin(); it != (*result)["attrs"].end(); ++it)
                if (it.value().is_string()) attrs.emplace_back(it.key(), it.value().get<std::string>());
            auto c = static_cast<ATTRIBUTE_OPERATION_ERR>(result ? 0 : code);
            emit([rid, uid, attrs, c](IRtmServiceEventHandler* h) {
              std::vector<RtmAttribute> out;
              for (const auto& [k, v] : attrs) out.push_back({k.c_str(), v.c_str()});
              h->onGetUserAttributesResult(rid, uid.c_str(), out.empty() ? nullptr : out.data(),
                                           static_cast<int>(out.size()), c);
            });
          });
  return ATTRIBUTE_OPERATION_ERR_OK;
}

// ---- channel attributes

int Service::channel_write(const char* op, const char* channel_id, json fields, const ChannelAttributeOptions& options,
                           long long& requestId,
                           void (IRtmServiceEventHandler::*callback)(long long, ATTRIBUTE_OPERATION_ERR)) {
  if (int c = attribute_preamble(requestId, channel_write_rate_)) return c;
  fields["channel"] = channel_id;
  fields["notify"] = options.enableNotificationToChannelMembers;
  long long rid = requestId;
  request(op, std::move(fields), kShortTimeout, ATTRIBUTE_OPERATION_ERR_TIMEOUT,
          ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN, [this, rid, callback](const json* result, int code) {
            auto c = static_cast<ATTRIBUTE_OPERATION_ERR>(result ? 0 : code);
            emit([rid, c, callback](IRtmServiceEventHandler* h) { (h->*callback)(rid, c); });
          });
  return ATTRIBUTE_OPERATION_ERR_OK;
}

int Service::channel_attrs_write(const char* channel_id, const IRtmChannelAttribute* attributes[], int n,
                                 const ChannelAttributeOptions& options, long long& requestId, bool update) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  if (!valid_id(channel_id) || attributes == nullptr || n < 1) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  std::map<std::string, std::string> attrs;
  for (int i = 0; i < n; ++i) {
    if (attributes[i] == nullptr || !valid_key(attributes[i]->getKey()) || !valid_value(attributes[i]->getValue()))
      return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
    attrs[attributes[i]->getKey()] = attributes[i]->getValue();
  }
  if (int c = check_attrs(attrs, 32768)) return c;
  return channel_write(update ? "update_channel_attrs" : "set_channel_attrs", channel_id,
                       json{{"attrs", attrs_json(attrs)}}, options, requestId,
                       update ? &IRtmServiceEventHandler::onAddOrUpdateChannelAttributesResult
                              : &IRtmServiceEventHandler::onSetChannelAttributesResult);
}

int Service::setChannelAttributes(const char* channelId, const IRtmChannelAttribute* attributes[],
                                  int numberOfAttributes, const ChannelAttributeOptions& options,
                                  long long& requestId) {
  return channel_attrs_write(channelId, attributes, numberOfAttributes, options, requestId, false);
}

int Service::addOrUpdateChannelAttributes(const char* channelId, const IRtmChannelAttribute* attributes[],
                                          int numberOfAttributes, const ChannelAttributeOptions& options,
                                          long long& requestId) {
  return channel_attrs_write(channelId, attributes, numberOfAttributes, options, requestId, true);
}

int Service::deleteChannelAttributesByKeys(const char* channelId, const char* attributeKeys[], int numberOfKeys,
                                           const ChannelAttributeOptions& options, long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  std::vector<std::string> keys;
  if (!valid_id(channelId) || !collect_keys(attributeKeys, numberOfKeys, keys))
    return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  return channel_write("delete_channel_attrs", channelId, json{{"keys", keys}}, options, requestId,
                       &IRtmServiceEventHandler::onDeleteChannelAttributesResult);
}

int Service::clearChannelAttributes(const char* channelId, const ChannelAttributeOptions& options,
                                    long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  if (!valid_id(channelId)) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  return channel_write("clear_channel_attrs", channelId, json::object(), options, requestId,
                       &IRtmServiceEventHandler::onClearChannelAttributesResult);
}

int Service::getChannelAttributes(const char* channelId, long long& requestId) {
  return channel_attrs_get(channelId, nullptr, 0, requestId, false);
}

int Service::getChannelAttributesByKeys(const char* channelId, const char* attributeKeys[], int numberOfKeys,
                                        long long& requestId) {
  return channel_attrs_get(channelId, attributeKeys, numberOfKeys, requestId, true);
}

int Service::channel_attrs_get(const char* channel_id, const char* keys_in[], int n, long long& requestId,
                               bool by_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return ATTRIBUTE_OPERATION_ERR_NOT_INITIALIZED;
  if (!valid_id(channel_id)) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  std::vector<std::string> keys;
  if (by_keys && !collect_keys(keys_in, n, keys)) return ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT;
  if (int c = attribute_preamble(requestId, channel_read_rate_)) return c;
  json fields{{"channel", channel_id}};
  if (by_keys) fields["keys"] = keys;
  long long rid = requestId;
  request("get_channel_attrs", std::move(fields), kShortTimeout, ATTRIBUTE_OPERATION_ERR_TIMEOUT,
          ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN, [this, rid](const json* result, int code) {
            std::vector<std::tuple<std::string, std::string, std::string, long long>> attrs;
            if (result && result->contains("attrs") && (*result)["attrs"].is_object())
              for (auto it = (*result)["attrs"].begin(); it != (*result)["attrs"].end(); ++it) {
                const json& a = it.value();
                if (a.is_object())
                  attrs.emplace_back(it.key(), a.value("value", std::string()), a.value("user", std::string()),
                                     a.value("ts", 0LL));
              }
            auto c = static_cast<ATTRIBUTE_OPERATION_ERR>(result ? 0 : code);
            emit([rid, attrs, c](IRtmServiceEventHandler* h) {
              std::vector<IRtmChannelAttribute*> made;
              for (const auto& [k, v, u, ts] : attrs) made.push_back(make_channel_attribute(k, v, u, ts));
              std::vector<const IRtmChannelAttribute*> view(made.begin(), made.end());
              h->onGetChannelAttributesResult(rid, view.empty() ? nullptr : view.data(), static_cast<int>(view.size()),
                                              c);
              for (auto* a : made) a->release();
            });
          });
  return ATTRIBUTE_OPERATION_ERR_OK;
}

}  // namespace openrtm
