// Presence and member counts (spec §6.8, §6.9; protocol §3.13-§3.16): queries, subscriptions
// and the peer_status push, channel member counts without joining.
#include <set>

#include "service.h"

namespace openrtm {

namespace {

PEER_ONLINE_STATE parse_state(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : "";
  if (s == "ONLINE") return PEER_ONLINE_STATE_ONLINE;
  if (s == "UNREACHABLE") return PEER_ONLINE_STATE_UNREACHABLE;
  return PEER_ONLINE_STATE_OFFLINE;
}

// Distinct ids in the order given, or false when one breaks the uid rules (spec §5.1).
bool collect_ids(const char* ids[], int count, std::vector<std::string>& out) {
  if (ids == nullptr || count < 0) return false;
  std::set<std::string> seen;
  for (int i = 0; i < count; ++i) {
    if (!valid_id(ids[i])) return false;
    if (seen.insert(ids[i]).second) out.emplace_back(ids[i]);
  }
  return true;
}

}  // namespace

int Service::queryPeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return QUERY_PEERS_ONLINE_STATUS_ERR_NOT_INITIALIZED;
  std::vector<std::string> ids;
  if (peerCount < 1 || peerCount > 256 || !collect_ids(peerIds, peerCount, ids))
    return QUERY_PEERS_ONLINE_STATUS_ERR_INVALID_ARGUMENT;
  if (!connected()) return QUERY_PEERS_ONLINE_STATUS_ERR_USER_NOT_LOGGED_IN;
  if (!query_rate_.take()) return QUERY_PEERS_ONLINE_STATUS_ERR_TOO_OFTEN;
  requestId = next_request_id_ + 1;  // the id request() assigns
  long long rid = requestId;
  request("query_online", json{{"peers", ids}}, kRequestTimeout, QUERY_PEERS_ONLINE_STATUS_ERR_TIMEOUT,
          QUERY_PEERS_ONLINE_STATUS_ERR_USER_NOT_LOGGED_IN, [this, rid, ids](const json* result, int code) {
            std::vector<std::pair<std::string, bool>> online;
            if (result && result->contains("online") && (*result)["online"].is_object())
              for (const auto& id : ids) {
                auto it = (*result)["online"].find(id);
                online.emplace_back(id, it != (*result)["online"].end() && it->is_boolean() && it->get<bool>());
              }
            auto c = static_cast<QUERY_PEERS_ONLINE_STATUS_ERR>(result ? 0 : code);
            emit([rid, online, c](IRtmServiceEventHandler* h) {
              std::vector<PeerOnlineStatus> statuses;
              for (const auto& [id, on] : online)
                statuses.push_back({id.c_str(), on, on ? PEER_ONLINE_STATE_ONLINE : PEER_ONLINE_STATE_OFFLINE});
              h->onQueryPeersOnlineStatusResult(rid, statuses.empty() ? nullptr : statuses.data(),
                                                static_cast<int>(statuses.size()), c);
            });
          });
  return QUERY_PEERS_ONLINE_STATUS_ERR_OK;
}

int Service::subscribePeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) {
  return subscription("subscribe", peerIds, peerCount, requestId);
}

int Service::unsubscribePeersOnlineStatus(const char* peerIds[], int peerCount, long long& requestId) {
  return subscription("unsubscribe", peerIds, peerCount, requestId);
}

int Service::subscription(const char* op, const char* peerIds[], int peerCount, long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  bool subscribe = std::string(op) == "subscribe";
  if (!initialized_) return PEER_SUBSCRIPTION_STATUS_ERR_NOT_INITIALIZED;
  std::vector<std::string> ids;
  if (peerCount < 1 || !collect_ids(peerIds, peerCount, ids)) return PEER_SUBSCRIPTION_STATUS_ERR_INVALID_ARGUMENT;
  // Protocol §9.1: at most 512 peers followed, counting those being subscribed.
  if (subscribe) {
    std::size_t total = followed_.size();
    for (const auto& id : ids) total += followed_.count(id) ? 0 : 1;
    if (total > 512) return PEER_SUBSCRIPTION_STATUS_ERR_OVERFLOW;
  } else if (ids.size() > 512) {
    return PEER_SUBSCRIPTION_STATUS_ERR_OVERFLOW;
  }
  if (!connected()) return PEER_SUBSCRIPTION_STATUS_ERR_USER_NOT_LOGGED_IN;
  if (!subscribe_rate_.take()) return PEER_SUBSCRIPTION_STATUS_ERR_TOO_OFTEN;
  requestId = next_request_id_ + 1;
  long long rid = requestId;
  request(op, json{{"peers", ids}}, kRequestTimeout, PEER_SUBSCRIPTION_STATUS_ERR_TIMEOUT,
          PEER_SUBSCRIPTION_STATUS_ERR_USER_NOT_LOGGED_IN, [this, rid, ids, subscribe](const json* result, int code) {
            if (result) {
              for (const auto& id : ids) {
                if (subscribe) {
                  followed_.insert(id);
                } else {
                  followed_.erase(id);
                }
              }
            }
            auto c = static_cast<PEER_SUBSCRIPTION_STATUS_ERR>(result ? 0 : code);
            emit([rid, c](IRtmServiceEventHandler* h) { h->onSubscriptionRequestResult(rid, c); });
          });
  return PEER_SUBSCRIPTION_STATUS_ERR_OK;
}

void Service::on_peer_status(const json& push) {
  if (!push.contains("statuses") || !push["statuses"].is_object()) return;
  std::vector<std::pair<std::string, PEER_ONLINE_STATE>> changes;
  for (auto it = push["statuses"].begin(); it != push["statuses"].end(); ++it) {
    PEER_ONLINE_STATE s = parse_state(it.value());
    // After a re-login that was not resumed, only changes the app was not told of (spec §1.3).
    auto known = peer_states_.find(it.key());
    if (known != peer_states_.end() && known->second == s && restoring_) continue;
    peer_states_[it.key()] = s;
    changes.emplace_back(it.key(), s);
  }
  if (changes.empty()) return;
  emit([changes](IRtmServiceEventHandler* h) {
    std::vector<PeerOnlineStatus> statuses;
    for (const auto& [id, s] : changes) statuses.push_back({id.c_str(), s == PEER_ONLINE_STATE_ONLINE, s});
    h->onPeersOnlineStatusChanged(statuses.data(), static_cast<int>(statuses.size()));
  });
}

int Service::queryPeersBySubscriptionOption(PEER_SUBSCRIPTION_OPTION option, long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_NOT_INITIALIZED;
  if (option != PEER_SUBSCRIPTION_OPTION_ONLINE_STATUS) return QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_FAILURE;
  if (!connected()) return QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_USER_NOT_LOGGED_IN;
  if (!query_subscriptions_rate_.take()) return QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_TOO_OFTEN;
  requestId = next_request_id_ + 1;
  long long rid = requestId;
  request("query_subscriptions", json{{"option", "ONLINE_STATUS"}}, kShortTimeout,
          QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_TIMEOUT, QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_USER_NOT_LOGGED_IN,
          [this, rid](const json* result, int code) {
            std::vector<std::string> peers;
            if (result && result->contains("peers") && (*result)["peers"].is_array())
              for (const auto& p : (*result)["peers"])
                if (p.is_string()) peers.push_back(p.get<std::string>());
            auto c = static_cast<QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR>(result ? 0 : code);
            emit([rid, peers, c](IRtmServiceEventHandler* h) {
              std::vector<const char*> ids;
              for (const auto& p : peers) ids.push_back(p.c_str());
              h->onQueryPeersBySubscriptionOptionResult(rid, ids.empty() ? nullptr : ids.data(),
                                                         static_cast<int>(ids.size()), c);
            });
          });
  return QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_OK;
}

int Service::getChannelMemberCount(const char* channelIds[], int channelCount, long long& requestId) {
  std::lock_guard<std::mutex> lock(mu_);
  requestId = 0;
  if (!initialized_) return GET_CHANNEL_MEMBER_COUNT_ERR_NOT_INITIALIZED;
  if (channelCount > 32) return GET_CHANNEL_MEMBER_COUNT_ERR_EXCEED_LIMIT;
  std::vector<std::string> ids;
  if (channelCount < 1 || !collect_ids(channelIds, channelCount, ids))
    return GET_CHANNEL_MEMBER_COUNT_ERR_INVALID_ARGUMENT;
  if (!connected()) return GET_CHANNEL_MEMBER_COUNT_ERR_USER_NOT_LOGGED_IN;
  if (!member_count_rate_.take()) return GET_CHANNEL_MEMBER_COUNT_ERR_TOO_OFTEN;
  requestId = next_request_id_ + 1;
  long long rid = requestId;
  request("member_counts", json{{"channels", ids}}, kShortTimeout, GET_CHANNEL_MEMBER_COUNT_ERR_TIMEOUT,
          GET_CHANNEL_MEMBER_COUNT_ERR_USER_NOT_LOGGED_IN, [this, rid, ids](const json* result, int code) {
            std::vector<std::pair<std::string, int>> counts;
            if (result && result->contains("counts") && (*result)["counts"].is_object())
              for (const auto& id : ids) {
                auto it = (*result)["counts"].find(id);
                counts.emplace_back(id, it != (*result)["counts"].end() && it->is_number_integer() ? it->get<int>() : 0);
              }
            auto c = static_cast<GET_CHANNEL_MEMBER_COUNT_ERR_CODE>(result ? 0 : code);
            emit([rid, counts, c](IRtmServiceEventHandler* h) {
              std::vector<ChannelMemberCount> out;
              for (const auto& [id, n] : counts) out.push_back({id.c_str(), n});
              h->onGetChannelMemberCountResult(rid, out.empty() ? nullptr : out.data(), static_cast<int>(out.size()),
                                               c);
            });
          });
  return GET_CHANNEL_MEMBER_COUNT_ERR_OK;
}

}  // namespace openrtm
