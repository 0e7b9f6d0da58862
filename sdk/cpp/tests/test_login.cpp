// Login, logout, their synchronous codes, the errors the server gives (spec §4.1, protocol
// §3.1), connection states (spec §3), the threading rules and release() (issue #16).
#include <dirent.h>
#include <unistd.h>

#include <cstdio>

#include "rtm_test.h"

namespace rtmtest {
namespace {

const char* kCertApp = "abcdef0123456789abcdef0123456789";
const char* kCert = "0123456789abcdef0123456789abcdef";

int thread_count() {
  int n = 0;
  DIR* d = opendir("/proc/self/task");
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

std::string make_token(const std::string& uid, int expire) {
  const char* py = std::getenv("OPENRTM_PYTHON");
  std::string cmd = std::string(py && *py ? py : "python3") + " -m openrtm token --app-id " + kCertApp +
                    " --app-certificate " + kCert + " --uid " + uid + " --expire " + std::to_string(expire);
  FILE* p = popen(cmd.c_str(), "r");
  char buf[1024] = {0};
  std::string out = fgets(buf, sizeof buf, p) ? buf : "";
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(Initialize, SynchronousCodes) {
  IRtmService* rtm = createRtmService();
  ClientRecorder events;
  EXPECT_EQ(rtm->login(nullptr, "alice"), LOGIN_ERR_NOT_INITIALIZED);
  EXPECT_EQ(rtm->logout(), LOGOUT_ERR_NOT_INITIALIZED);
  EXPECT_EQ(rtm->initialize("short", &events), INIT_ERR_INVALID_APP_ID);
  EXPECT_EQ(rtm->initialize(kAppId, nullptr), INIT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtm->initialize(kAppId, &events), INIT_ERR_OK);
  EXPECT_EQ(rtm->initialize(kAppId, &events), INIT_ERR_ALREADY_INITIALIZED);
  EXPECT_NE(rtm->setParameters("{\"rtm.server\":\"http://x/\"}"), 0);
  EXPECT_NE(rtm->setParameters("not json"), 0);
  EXPECT_EQ(rtm->setParameters("{\"rtm.server\":\"ws://127.0.0.1:1/\"}"), 0);
  EXPECT_EQ(rtm->login(nullptr, ""), LOGIN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtm->login(nullptr, "null"), LOGIN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtm->login(nullptr, std::string(65, 'a').c_str()), LOGIN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(rtm->logout(), LOGOUT_ERR_USER_NOT_LOGGED_IN);
  rtm->release();
}

TEST(Login, StatesCallbacksAndLogout) {
  Client a;
  std::thread::id caller = std::this_thread::get_id();
  a.login(unique("alice"));
  EXPECT_EQ(a.events.lines()[0], "state 2 1");  // CONNECTING / LOGIN
  EXPECT_TRUE(a.events.has("state 3 2"));       // CONNECTED / LOGIN_SUCCESS
  EXPECT_EQ(a.rtm->login(nullptr, a.uid.c_str()), LOGIN_ERR_ALREADY_LOGGED_IN);
  EXPECT_EQ(a.rtm->logout(), LOGOUT_ERR_OK);
  EXPECT_TRUE(a.events.wait("logout 0"));
  EXPECT_TRUE(a.events.wait("state 1 6"));  // DISCONNECTED / LOGOUT
  for (auto id : a.events.threads()) EXPECT_NE(id, caller) << "a callback ran on the caller's thread";
  // A second login after the logout works (spec §3.2).
  EXPECT_EQ(a.rtm->login(nullptr, a.uid.c_str()), LOGIN_ERR_OK);
  EXPECT_TRUE(a.events.wait_prefix("login ok").size() > 0);
}

TEST(Login, TooOften) {
  Client a;
  std::string uid = unique("often");
  ASSERT_EQ(a.rtm->login(nullptr, uid.c_str()), 0);
  ASSERT_EQ(a.rtm->logout(), 0);
  ASSERT_EQ(a.rtm->login(nullptr, uid.c_str()), 0);
  ASSERT_EQ(a.rtm->logout(), 0);
  EXPECT_EQ(a.rtm->login(nullptr, uid.c_str()), LOGIN_ERR_TOO_OFTEN);  // spec §5.4: 2 a second
}

TEST(Login, TimesOutWithoutServer) {
  // A port nobody listens on: attempts fail until the login timeout (spec §3.1, code 9).
  Client a("ws://127.0.0.1:9/");
  ASSERT_EQ(a.rtm->login(nullptr, "nobody"), 0);
  EXPECT_TRUE(a.events.wait("login failed 9", unit(20000)));
  EXPECT_TRUE(a.events.has("state 1 4"));  // DISCONNECTED / LOGIN_TIMEOUT
}

TEST(Login, ServerErrors) {
  ServerProcess server({"--app", std::string(kCertApp) + ":" + kCert});
  {
    Client a(server.url(), kAppId);  // an App the server does not know
    ASSERT_EQ(a.rtm->login(nullptr, "alice"), 0);
    EXPECT_TRUE(a.events.wait("login failed 4"));
    EXPECT_TRUE(a.events.has("state 1 3"));  // DISCONNECTED / LOGIN_FAILURE
  }
  {
    Client a(server.url(), kCertApp);  // a token is required
    ASSERT_EQ(a.rtm->login(nullptr, "alice"), 0);
    EXPECT_TRUE(a.events.wait("login failed 5"));
  }
  {
    Client a(server.url(), kCertApp);  // a token for someone else
    std::string bobs = make_token("bob", 3600);
    ASSERT_FALSE(bobs.empty());
    ASSERT_EQ(a.rtm->login(bobs.c_str(), "alice"), 0);
    EXPECT_TRUE(a.events.wait("login failed 5"));
  }
  {
    Client a(server.url(), kCertApp);  // a good token
    std::string token = make_token("alice", 3600);
    a.login("alice", token.c_str());
  }
}

TEST(Tokens, WarningAndRenewal) {
  ServerProcess server({"--app", std::string(kCertApp) + ":" + kCert});
  Client a(server.url(), kCertApp);
  // Less than 30 s left: the server warns at once (protocol §3.19).
  std::string short_lived = make_token("alice", 20);
  a.login("alice", short_lived.c_str());
  EXPECT_TRUE(a.events.wait("token will expire"));
  EXPECT_EQ(a.rtm->renewToken(""), RENEW_TOKEN_ERR_INVALID_ARGUMENT);
  std::string fresh = make_token("alice", 3600);
  ASSERT_EQ(a.rtm->renewToken(fresh.c_str()), 0);
  EXPECT_TRUE(a.events.wait("renewed " + fresh.substr(0, 8) + " 0"));
  std::string bobs = make_token("bob", 3600);
  ASSERT_EQ(a.rtm->renewToken(bobs.c_str()), 0);
  EXPECT_TRUE(a.events.wait("renewed " + bobs.substr(0, 8) + " 6"));  // INVALID_TOKEN
  EXPECT_EQ(a.rtm->renewToken(fresh.c_str()), RENEW_TOKEN_ERR_TOO_OFTEN);  // 2 a second
}

TEST(Logs, StateChangesWithoutTokens) {
  ServerProcess server({"--app", std::string(kCertApp) + ":" + kCert});
  char path[] = "/tmp/openrtm-cpp-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string token = make_token("alice", 3600);
  {
    Client a(server.url(), kCertApp);
    ASSERT_EQ(a.rtm->setLogFile(path), 0);
    EXPECT_NE(a.rtm->setLogFileSize(1), 0);  // Agora's range is 512 KB to 1 GB
    ASSERT_EQ(a.rtm->setLogFilter(LOG_FILTER_INFO), 0);
    a.login("alice", token.c_str());
  }
  FILE* f = fopen(path, "r");
  ASSERT_NE(f, nullptr);
  std::string text;
  char buf[512];
  while (fgets(buf, sizeof buf, f)) text += buf;
  fclose(f);
  unlink(path);
  EXPECT_NE(text.find("state DISCONNECTED -> CONNECTING"), std::string::npos) << text;
  EXPECT_NE(text.find("state CONNECTING -> CONNECTED"), std::string::npos) << text;
  EXPECT_EQ(text.find(token), std::string::npos) << "a token in the log";
}

TEST(Login, RemoteLoginAborts) {
  Client a, b;
  std::string uid = unique("twice");
  a.login(uid);
  b.login(uid);
  EXPECT_TRUE(a.events.wait("state 5 8"));  // ABORTED / REMOTE_LOGIN (spec §6.11)
  EXPECT_EQ(a.rtm->login(nullptr, uid.c_str()), LOGIN_ERR_ALREADY_LOGGED_IN);  // still ABORTED
  EXPECT_EQ(a.rtm->logout(), LOGOUT_ERR_OK);
  EXPECT_TRUE(a.events.wait("state 1 6"));
}

TEST(Threading, CallbackMayCallBackIn) {
  Client a, b;
  b.login(unique("rcv"));
  std::string bob = b.uid;
  IRtmService* rtm = a.rtm;
  a.events.on_login = nullptr;
  struct Reentrant : ClientRecorder {
    IRtmService* rtm = nullptr;
    std::string to;
    void onLoginSuccess() override {
      IMessage* m = rtm->createMessage("from a callback");
      add("send ret " + std::to_string(rtm->sendMessageToPeer(to.c_str(), m)));
      m->release();
      ClientRecorder::onLoginSuccess();
    }
  } r;
  r.rtm = rtm;
  r.to = bob;
  rtm->addEventHandler(&r);
  ASSERT_EQ(rtm->login(nullptr, unique("snd").c_str()), 0);
  EXPECT_TRUE(r.wait("send ret 0"));
  EXPECT_TRUE(b.events.wait_prefix("peer ").find("from a callback") != std::string::npos);
  ASSERT_TRUE(r.wait("login ok"));  // the callback has finished with `r`
  rtm->removeEventHandler(&r);
}

TEST(Threading, ReleaseJoinsEveryThread) {
  int before = thread_count();
  for (int i = 0; i < 3; ++i) {
    IRtmService* rtm = createRtmService();
    ClientRecorder events;
    ASSERT_EQ(rtm->initialize(kAppId, &events), 0);
    std::string params = "{\"rtm.server\":\"" + shared_server() + "\"}";
    ASSERT_EQ(rtm->setParameters(params.c_str()), 0);
    ASSERT_EQ(rtm->login(nullptr, unique("rel").c_str()), 0);
    ASSERT_TRUE(events.wait("login ok"));
    rtm->release();
  }
  EXPECT_EQ(thread_count(), before);
}

TEST(Threading, ReleaseFromACallback) {
  int before = thread_count();
  struct Releaser : ClientRecorder {
    IRtmService* rtm = nullptr;
    void onLoginSuccess() override {
      rtm->release();  // from the callback thread itself
      add("released");
    }
  };
  Releaser events;
  events.rtm = createRtmService();
  ASSERT_EQ(events.rtm->initialize(kAppId, &events), 0);
  std::string params = "{\"rtm.server\":\"" + shared_server() + "\"}";
  ASSERT_EQ(events.rtm->setParameters(params.c_str()), 0);
  ASSERT_EQ(events.rtm->login(nullptr, unique("self").c_str()), 0);
  ASSERT_TRUE(events.wait("released"));
  // The callback thread ends once that callback has returned.
  auto deadline = std::chrono::steady_clock::now() + unit(5000);
  while (thread_count() != before && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(thread_count(), before);
}

}  // namespace
}  // namespace rtmtest
