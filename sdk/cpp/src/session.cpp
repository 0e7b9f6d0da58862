// Login, logout, the connection state machine (spec §3), reconnection with resume, keepalive,
// and requests matched to their answers by id (protocol §2, §3.1, §3.2, §5, §9).
#include <random>

#include "connection_states.h"
#include "service.h"

namespace openrtm {

namespace {
std::string state_name(CONNECTION_STATE s) {
  static const char* names[] = {"?", "DISCONNECTED", "CONNECTING", "CONNECTED", "RECONNECTING", "ABORTED"};
  int i = static_cast<int>(s);
  return i >= 1 && i <= 5 ? names[i] : "?";
}
}  // namespace

void Service::transition(CONNECTION_STATE to, CONNECTION_CHANGE_REASON reason) {
  if (!transition_allowed(state_, to, reason)) {
    log_.error("refused transition " + state_name(state_) + " -> " + state_name(to));
    return;
  }
  log_.info("state " + state_name(state_) + " -> " + state_name(to) + " reason " + std::to_string(reason));
  state_ = to;
  emit([to, reason](IRtmServiceEventHandler* h) { h->onConnectionStateChanged(to, reason); });
}

int Service::login(const char* token, const char* userId) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!initialized_) return LOGIN_ERR_NOT_INITIALIZED;
  if (!valid_id(userId)) return LOGIN_ERR_INVALID_ARGUMENT;
  if (state_ != CONNECTION_STATE_DISCONNECTED || logging_out_) return LOGIN_ERR_ALREADY_LOGGED_IN;
  WsUrl url;
  if (!parse_ws_url(server_url_, url) || url.secure) {
    log_.error("unusable server URL (wss:// is not supported yet)");
    return LOGIN_ERR_REJECTED;
  }
  if (!login_rate_.take()) return LOGIN_ERR_TOO_OFTEN;
  uid_ = userId;
  // App ID-only mode (spec §6.10): no token, an empty one, or (as Agora's Linux tutorial does)
  // the App ID passed as the token.
  std::string t = token ? token : "";
  token_ = (t == app_id_) ? std::string() : t;
  session_id_.clear();
  token_expired_told_ = false;
  transition(CONNECTION_STATE_CONNECTING, CONNECTION_CHANGE_REASON_LOGIN);
  login_deadline_ = Clock::now() + kLoginTimeout;
  backoff_ = milliseconds(250);
  start_attempt();
  return LOGIN_ERR_OK;
}

void Service::start_attempt() {
  WsUrl url;
  parse_ws_url(server_url_, url);
  unsigned long long id = ++next_link_id_;
  WsLink::Events ev;
  ev.on_open = [this, id] {
    std::lock_guard<std::mutex> lock(mu_);
    on_attempt_open(id);
  };
  ev.on_text = [this, id](std::string&& text) {
    std::lock_guard<std::mutex> lock(mu_);
    on_text(id, std::move(text));
  };
  ev.on_activity = [this, id] {
    std::lock_guard<std::mutex> lock(mu_);
    if (id == link_id_) {
      last_rx_ = Clock::now();
      ping_outstanding_ = false;
    }
  };
  ev.on_closed = [this, id](int code) {
    std::lock_guard<std::mutex> lock(mu_);
    on_closed(id, code);
  };
  attempt_id_ = id;
  attempt_in_flight_ = true;
  attempt_ = WsLink::open(reactor_, url, std::move(ev), kConnectTimeout);
}

void Service::on_attempt_open(unsigned long long link_id) {
  if (link_id != attempt_id_ || !attempt_) return;
  json login{{"v", 1}, {"app_id", app_id_}, {"uid", uid_}, {"sdk", kSdkName}};
  if (!token_.empty()) login["token"] = token_;
  if (!session_id_.empty()) login["resume"] = session_id_;
  // Protocol §9.3: 3 s for the login reply on this connection, then another attempt.
  request(
      "login", std::move(login), kConnectTimeout, -1, -1,
      [this, link_id](const json* result, int code) { on_login_answer(link_id, result, code); }, attempt_);
}

void Service::on_login_answer(unsigned long long link_id, const json* result, int code) {
  if (link_id != attempt_id_) return;
  if (result != nullptr) return adopt_attempt(*result);
  auto dead = attempt_;
  attempt_.reset();
  attempt_id_ = 0;
  attempt_in_flight_ = false;
  if (dead) {
    dead->detach();
    dead->drop();
  }
  if (code < 0) return schedule_retry();  // no answer on this connection: try another
  if (state_ == CONNECTION_STATE_CONNECTING) return fail_login(code, CONNECTION_CHANGE_REASON_LOGIN_FAILURE);
  // RECONNECTING (protocol §9.6).
  if (code == LOGIN_ERR_TOKEN_EXPIRED) {
    if (!token_expired_told_) {
      token_expired_told_ = true;
      emit([](IRtmServiceEventHandler* h) { h->onTokenExpired(); });
    }
    return schedule_retry();
  }
  if (code == LOGIN_ERR_INVALID_ARGUMENT || code == LOGIN_ERR_INVALID_APP_ID || code == LOGIN_ERR_INVALID_TOKEN) {
    end_session(true);
    transition(CONNECTION_STATE_ABORTED, CONNECTION_CHANGE_REASON_LOGIN_FAILURE);
    return;
  }
  schedule_retry();
}

void Service::schedule_retry() {
  // Exponential backoff with jitter (protocol §9.6); within a login, at most 1 s apart.
  static thread_local std::mt19937 rng{std::random_device{}()};
  milliseconds cap = state_ == CONNECTION_STATE_CONNECTING ? milliseconds(1000) : kBackoffMax;
  long long half = backoff_.count() / 2;
  std::uniform_int_distribution<long long> jitter(0, half > 0 ? half : 1);
  next_attempt_at_ = Clock::now() + milliseconds(half + jitter(rng));
  backoff_ = std::min(backoff_ * 2, cap);
}

void Service::adopt_attempt(const json& result) {
  std::string sid = result.is_object() && result.contains("session_id") && result["session_id"].is_string()
                        ? result["session_id"].get<std::string>()
                        : std::string();
  bool resumed = result.is_object() && result.value("resumed", false);
  if (link_) {
    link_->detach();
    link_->drop();
  }
  link_ = attempt_;
  link_id_ = attempt_id_;
  attempt_.reset();
  attempt_id_ = 0;
  attempt_in_flight_ = false;
  session_id_ = sid;
  last_rx_ = Clock::now();
  ping_outstanding_ = false;
  backoff_ = milliseconds(250);
  if (state_ == CONNECTION_STATE_CONNECTING) {
    transition(CONNECTION_STATE_CONNECTED, CONNECTION_CHANGE_REASON_LOGIN_SUCCESS);
    emit([](IRtmServiceEventHandler* h) { h->onLoginSuccess(); });
    flush_queued();
    return;
  }
  if (resumed) return become_connected();
  // A new session starts with nothing (protocol §3.2): join the channels again first.
  restoring_ = true;
  restores_left_ = 0;
  // Answers to a restore of an earlier, lost connection must not count for this one.
  unsigned long long gen = ++restore_gen_;
  for (auto& [id, ch] : channels_) {
    if (ch->membership() == Channel::Membership::kIdle) continue;
    ++restores_left_;
    std::shared_ptr<Channel> c = ch;
    request(
        "join", json{{"channel", id}}, kRequestTimeout, 1, 1,
        [this, c, gen](const json* r, int) {
          if (gen != restore_gen_) return;
          if (r == nullptr) c->forget();
          if (--restores_left_ == 0 && restoring_) become_connected();
        },
        link_);
  }
  auto restored = [this, gen](const json*, int) {
    if (gen != restore_gen_) return;
    if (--restores_left_ == 0 && restoring_) become_connected();
  };
  if (!followed_.empty()) {
    ++restores_left_;
    request("subscribe", json{{"peers", followed_}}, kRequestTimeout, 1, 1, restored, link_);
  }
  if (!user_attrs_.empty()) {
    ++restores_left_;
    json attrs = json::object();
    for (const auto& [k, v] : user_attrs_) attrs[k] = v;
    request("set_user_attrs", json{{"attrs", attrs}}, kRequestTimeout, 1, 1, restored, link_);
  }
  if (restores_left_ == 0) become_connected();
}

void Service::become_connected() {
  restoring_ = false;
  transition(CONNECTION_STATE_CONNECTED, CONNECTION_CHANGE_REASON_LOGIN_SUCCESS);
  flush_queued();
}

void Service::fail_login(int code, CONNECTION_CHANGE_REASON reason) {
  end_session(true);
  transition(CONNECTION_STATE_DISCONNECTED, reason);
  auto c = static_cast<LOGIN_ERR_CODE>(code);
  emit([c](IRtmServiceEventHandler* h) { h->onLoginFailure(c); });
}

void Service::on_text(unsigned long long link_id, std::string&& text) {
  auto link = link_by_id(link_id);
  if (!link) return;
  json frame = json::parse(text, nullptr, false);
  if (!frame.is_object() || !frame.contains("t") || !frame["t"].is_string()) return;
  const std::string t = frame["t"].get<std::string>();
  if (t == "reply" || t == "error") {
    if (!frame.contains("id") || !frame["id"].is_number_integer()) return;
    auto it = pending_.find(frame["id"].get<long long>());
    if (it == pending_.end()) return;  // protocol §9.4: an answer to nothing pending
    Done done = std::move(it->second.done);
    pending_.erase(it);
    if (t == "reply") {
      static const json empty = json::object();
      done(frame.contains("result") ? &frame["result"] : &empty, 0);
    } else {
      done(nullptr, frame.value("code", 1));
    }
    return;
  }
  if (t == "peer_msg") return on_peer_push(frame, link);
  if (t == "peer_status") return on_peer_status(frame);
  if (t == "token_expiring") {
    emit([](IRtmServiceEventHandler* h) { h->onTokenPrivilegeWillExpire(); });
    return;
  }
  if (frame.contains("channel") && frame["channel"].is_string() && link_id == link_id_) {
    auto it = channels_.find(frame["channel"].get<std::string>());
    if (it != channels_.end()) it->second->on_push(t, frame);
  }
  // Call-invitation pushes belong to the next increment.
}

std::shared_ptr<WsLink> Service::link_by_id(unsigned long long id) const {
  if (id != 0 && id == link_id_) return link_;
  if (id != 0 && id == attempt_id_) return attempt_;
  return nullptr;
}

void Service::on_closed(unsigned long long link_id, int code) {
  if (link_id == releasing_link_id_) {
    releasing_link_id_ = 0;
    released_closed_.notify_all();
    return;
  }
  if (link_id == attempt_id_) {
    log_.info("connection attempt ended, code " + std::to_string(code));
    attempt_.reset();
    attempt_id_ = 0;
    attempt_in_flight_ = false;
    // The login request of this attempt can no longer be answered.
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.timeout_code == -1) {
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    schedule_retry();
    return;
  }
  if (link_id != link_id_) return;
  log_.info("connection closed, code " + std::to_string(code));
  link_.reset();
  link_id_ = 0;
  if (logging_out_) return finish_logout();
  lost_link(code);
}

void Service::lost_link(int code) {
  ClosePolicy p = close_policy(code);
  if (state_ == CONNECTION_STATE_RECONNECTING) {  // a restoring connection lost
    restoring_ = false;
    schedule_retry();
    return;
  }
  if (p.reconnect) {
    restoring_ = false;
    transition(CONNECTION_STATE_RECONNECTING, CONNECTION_CHANGE_REASON_INTERRUPTED);
    // Requests sent on the lost link may still be answered on a resumed session, with their
    // ids (protocol §3.2): they stay pending until their own deadline.
    backoff_ = milliseconds(250);
    next_attempt_at_ = Clock::now();
    return;
  }
  end_session(true);
  transition(p.state, p.reason);
  if (p.token_expired) emit([](IRtmServiceEventHandler* h) { h->onTokenExpired(); });
}

void Service::end_session(bool notify_pending) {
  for (auto* l : {&link_, &attempt_}) {
    if (*l) {
      (*l)->detach();
      (*l)->drop();
      l->reset();
    }
  }
  link_id_ = attempt_id_ = 0;
  attempt_in_flight_ = false;
  session_id_.clear();
  logging_out_ = restoring_ = false;
  ping_outstanding_ = false;
  for (auto& [id, ch] : channels_) ch->forget();
  // Protocol §9.7: a new login starts without subscriptions or user attributes.
  followed_.clear();
  peer_states_.clear();
  user_attrs_.clear();
  auto pending = std::move(pending_);
  pending_.clear();
  if (notify_pending)
    for (auto& [id, p] : pending)
      if (p.abandon_code >= 0) p.done(nullptr, p.abandon_code);
}

int Service::logout() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!initialized_) return LOGOUT_ERR_NOT_INITIALIZED;
  if (logging_out_) return LOGOUT_ERR_OK;
  switch (state_) {
    case CONNECTION_STATE_DISCONNECTED:
      return LOGOUT_ERR_USER_NOT_LOGGED_IN;
    case CONNECTION_STATE_CONNECTED:
      if (link_) {
        // Protocol §9.7: send logout, wait for the answer (or a short timeout), close 1000.
        logging_out_ = true;
        auto link = link_;
        request("logout", json::object(), milliseconds(2000), 0, -1,
                [this, link](const json*, int) {
                  link->close(1000);
                  if (logging_out_) finish_logout();
                },
                link_);
        return LOGOUT_ERR_OK;
      }
      [[fallthrough]];
    default:
      finish_logout();
      return LOGOUT_ERR_OK;
  }
}

void Service::finish_logout() {
  if (link_) link_->close(1000);
  link_.reset();
  end_session(true);
  transition(CONNECTION_STATE_DISCONNECTED, CONNECTION_CHANGE_REASON_LOGOUT);
  token_.clear();
  emit([](IRtmServiceEventHandler* h) { h->onLogout(LOGOUT_ERR_OK); });
}

int Service::renewToken(const char* token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!initialized_) return RENEW_TOKEN_ERR_NOT_INITIALIZED;
  if (token == nullptr || *token == '\0') return RENEW_TOKEN_ERR_INVALID_ARGUMENT;
  bool reconnecting = state_ == CONNECTION_STATE_RECONNECTING && !logging_out_;
  if (!connected() && !reconnecting) return RENEW_TOKEN_ERR_USER_NOT_LOGGED_IN;
  if (!renew_rate_.take()) return RENEW_TOKEN_ERR_TOO_OFTEN;
  std::string t = token;
  if (reconnecting) {
    // Protocol §9.1: kept for the next re-login, which checks it.
    token_ = t;
    token_expired_told_ = false;
    emit([t](IRtmServiceEventHandler* h) { h->onRenewTokenResult(t.c_str(), RENEW_TOKEN_ERR_OK); });
    return RENEW_TOKEN_ERR_OK;
  }
  request("renew_token", json{{"token", t}}, kRequestTimeout, RENEW_TOKEN_ERR_FAILURE, RENEW_TOKEN_ERR_FAILURE,
          [this, t](const json* r, int code) {
            if (r) token_ = t;
            auto c = static_cast<RENEW_TOKEN_ERR_CODE>(r ? 0 : code);
            emit([t, c](IRtmServiceEventHandler* h) { h->onRenewTokenResult(t.c_str(), c); });
          });
  return RENEW_TOKEN_ERR_OK;
}

long long Service::request(const std::string& op, json fields, milliseconds timeout, int timeout_code,
                           int abandon_code, Done done, const std::shared_ptr<WsLink>& link) {
  long long id = ++next_request_id_;  // protocol §9.4: numbered per client, across connections
  fields["op"] = op;
  fields["id"] = id;
  Pending p;
  p.frame = fields.dump(-1, ' ', false, json::error_handler_t::replace);
  p.deadline = Clock::now() + timeout;
  p.timeout_code = timeout_code;
  p.abandon_code = abandon_code;
  p.done = std::move(done);
  if (link) {
    link->send(p.frame);
    p.sent = true;
  } else if (connected() && link_) {
    link_->send(p.frame);
    p.sent = true;
  }
  pending_.emplace(id, std::move(p));
  return id;
}

void Service::flush_queued() {
  if (!link_) return;
  for (auto& [id, p] : pending_) {
    if (!p.sent) {
      link_->send(p.frame);
      p.sent = true;
    }
  }
}

void Service::tick() {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Clock::now();
  // Deadlines of requests (protocol §9.5).
  std::vector<Done> expired;
  std::vector<int> codes;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline <= now) {
      expired.push_back(std::move(it->second.done));
      codes.push_back(it->second.timeout_code);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  for (std::size_t i = 0; i < expired.size(); ++i) expired[i](nullptr, codes[i]);

  if (state_ == CONNECTION_STATE_CONNECTING && !logging_out_) {
    if (now >= login_deadline_) return fail_login(LOGIN_ERR_TIMEOUT, CONNECTION_CHANGE_REASON_LOGIN_TIMEOUT);
    if (!attempt_in_flight_ && now >= next_attempt_at_) start_attempt();
  } else if (state_ == CONNECTION_STATE_RECONNECTING && !logging_out_ && !attempt_in_flight_ && !link_) {
    if (now >= next_attempt_at_) start_attempt();
  }
  // Keepalive (protocol §1, §9.13): ping after 2 s of silence, drop the link 2 s later.
  if (link_) {
    if (ping_outstanding_ && now - ping_sent_at_ >= kPingTimeout) {
      log_.warn("no pong: dropping the link");
      ping_outstanding_ = false;
      link_->drop();
    } else if (!ping_outstanding_ && now - last_rx_ >= kPingInterval) {
      ping_outstanding_ = true;
      ping_sent_at_ = now;
      link_->ping();
    }
  }
}

std::string Service::next_mid() { return mid_prefix_ + "-" + std::to_string(++mid_counter_); }

}  // namespace openrtm
