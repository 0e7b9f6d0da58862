#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>

#include "rtm_test.h"

namespace rtmtest {

std::chrono::milliseconds unit(long long ms) {
  const char* scale = std::getenv("OPENRTM_TEST_TIMEOUT_SCALE");
  double s = scale ? std::atof(scale) : 1.0;
  if (s <= 0) s = 1.0;
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(ms) * s));
}

std::string unique(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  return prefix + "-" + std::to_string(rng() % 1000000000ULL);
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args) {
  const char* py = std::getenv("OPENRTM_PYTHON");
  std::string python = py && *py ? py : "python3";
  char tmpl[] = "/tmp/openrtm-cpp-test-XXXXXX";
  data_dir_ = mkdtemp(tmpl);
  std::vector<std::string> args = {python, "-m", "openrtm", "serve", "--port", "0", "--http-port", "0",
                                   "--data", data_dir_};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int out[2];
  if (pipe(out) != 0) throw std::runtime_error("pipe");
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // the server never outlives a crashed test binary
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  // The first line of the banner names the WebSocket URL (as tests/e2e/test_cli.py reads it).
  FILE* f = fdopen(out[0], "r");
  char buf[1024];
  std::regex url_re("serving WebSocket (ws://\\S+)");
  std::smatch m;
  while (fgets(buf, sizeof buf, f)) {
    std::string line = buf;
    if (std::regex_search(line, m, url_re)) {
      url_ = m[1];
      break;
    }
  }
  // Keep draining stdout in the background so the server never blocks on a full pipe.
  std::thread([f] {
    char b[1024];
    while (fgets(b, sizeof b, f)) {
    }
    fclose(f);
  }).detach();
  if (url_.empty()) throw std::runtime_error("openrtm serve printed no URL (is OPENRTM_PYTHON set?)");
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

namespace {
ServerProcess* g_shared = nullptr;
class SharedServer : public ::testing::Environment {
 public:
  void TearDown() override {
    delete g_shared;
    g_shared = nullptr;
  }
};
const auto* g_env = ::testing::AddGlobalTestEnvironment(new SharedServer);
}  // namespace

const std::string& shared_server() {
  (void)g_env;
  if (g_shared == nullptr) g_shared = new ServerProcess();
  return g_shared->url();
}

void Recorder::add(std::string line) {
  // Notified under the lock: a waiter that then destroys the recorder cannot run before the
  // notifier is done with it.
  std::lock_guard<std::mutex> lock(mu_);
  lines_.push_back(std::move(line));
  threads_.push_back(std::this_thread::get_id());
  cv_.notify_all();
}

bool Recorder::wait(const std::string& line, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return std::find(lines_.begin(), lines_.end(), line) != lines_.end(); });
}

std::string Recorder::wait_prefix(const std::string& prefix, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  std::string found;
  cv_.wait_for(lock, timeout, [&] {
    for (auto& l : lines_)
      if (l.rfind(prefix, 0) == 0) {
        found = l;
        return true;
      }
    return false;
  });
  return found;
}

bool Recorder::has(const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
}

std::vector<std::string> Recorder::lines() {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

std::vector<std::thread::id> Recorder::threads() {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_;
}

void ClientRecorder::onMessageReceivedFromPeer(const char* peer, const IMessage* m) {
  std::string body = m->getMessageType() == MESSAGE_TYPE_RAW
                         ? "raw:" + std::string(m->getRawMessageData(), std::size_t(m->getRawMessageLength())) + "|" +
                               m->getText()
                         : std::string(m->getText());
  add(std::string("peer ") + peer + (m->isOfflineMessage() ? " offline " : " ") + body);
  if (m->getServerReceivedTs() <= 0) add("bad ts");
}

namespace {
std::string sorted_join(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out;
  for (auto& i : items) out += " " + i;
  return out;
}
}  // namespace

void ClientRecorder::onQueryPeersOnlineStatusResult(long long id, const PeerOnlineStatus* s, int n,
                                                    QUERY_PEERS_ONLINE_STATUS_ERR e) {
  std::vector<std::string> items;
  for (int i = 0; i < n; ++i) items.push_back(std::string(s[i].peerId) + ":" + std::to_string(s[i].onlineState));
  add("query " + std::to_string(id) + " " + std::to_string(e) + sorted_join(items));
}

void ClientRecorder::onPeersOnlineStatusChanged(const PeerOnlineStatus s[], int n) {
  for (int i = 0; i < n; ++i) add(std::string("status ") + s[i].peerId + ":" + std::to_string(s[i].onlineState));
}

void ClientRecorder::onQueryPeersBySubscriptionOptionResult(long long id, const char* ids[], int n,
                                                            QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR e) {
  std::vector<std::string> items(ids, ids + n);
  add("subscribed " + std::to_string(id) + " " + std::to_string(e) + sorted_join(items));
}

void ClientRecorder::onGetChannelMemberCountResult(long long id, const ChannelMemberCount* c, int n,
                                                   GET_CHANNEL_MEMBER_COUNT_ERR_CODE e) {
  std::vector<std::string> items;
  for (int i = 0; i < n; ++i) items.push_back(std::string(c[i].channelId) + ":" + std::to_string(c[i].count));
  add("counts " + std::to_string(id) + " " + std::to_string(e) + sorted_join(items));
}

void ClientRecorder::onGetUserAttributesResult(long long id, const char* user, const RtmAttribute* a, int n,
                                               ATTRIBUTE_OPERATION_ERR e) {
  std::vector<std::string> items;
  for (int i = 0; i < n; ++i) items.push_back(std::string(a[i].key) + "=" + a[i].value);
  add("user attrs " + std::to_string(id) + " " + user + " " + std::to_string(e) + sorted_join(items));
}

namespace {
std::string channel_attrs(const IRtmChannelAttribute* a[], int n) {
  std::vector<std::string> items;
  for (int i = 0; i < n; ++i) {
    items.push_back(std::string(a[i]->getKey()) + "=" + a[i]->getValue() + "@" + a[i]->getLastUpdateUserId());
    if (a[i]->getLastUpdateTs() <= 0) items.push_back("bad-ts");
  }
  return sorted_join(items);
}
}  // namespace

void ClientRecorder::onGetChannelAttributesResult(long long id, const IRtmChannelAttribute* a[], int n,
                                                  ATTRIBUTE_OPERATION_ERR e) {
  add("channel attrs " + std::to_string(id) + " " + std::to_string(e) + channel_attrs(a, n));
}

void ChannelRecorder::onAttributesUpdated(const IRtmChannelAttribute* a[], int n) {
  add("attrs updated" + channel_attrs(a, n));
}

void ChannelRecorder::onGetMembers(IChannelMember** members, int n, GET_MEMBERS_ERR e) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(members[i]->getUserId());
  std::sort(ids.begin(), ids.end());
  std::string line = "members " + std::to_string(e);
  for (auto& id : ids) line += " " + id;
  add(line);
}

Client::Client(const std::string& server, const char* app_id) {
  rtm = createRtmService();
  EXPECT_EQ(rtm->initialize(app_id, &events), 0);
  std::string params = "{\"rtm.server\":\"" + server + "\"}";
  EXPECT_EQ(rtm->setParameters(params.c_str()), 0);
}

Client::~Client() { rtm->release(); }

void Client::login(const std::string& user, const char* token) {
  uid = user;
  ASSERT_EQ(rtm->login(token, user.c_str()), 0);
  ASSERT_TRUE(events.wait("login ok")) << "login of " << user << " did not succeed";
}

}  // namespace rtmtest
