// Peer messages with end-to-end receipts, offline messages, RAW payloads and the synchronous
// codes (spec §4.4, §6.1, §6.2; protocol §3.4-§3.6).
#include "rtm_test.h"

namespace rtmtest {
namespace {

TEST(Peer, BothWaysWithReceipts) {
  Client a, b;
  a.login(unique("a"));
  b.login(unique("b"));
  IMessage* m = a.rtm->createMessage("hello b");
  long long id = m->getMessageId();
  ASSERT_EQ(a.rtm->sendMessageToPeer(b.uid.c_str(), m), 0);
  m->release();
  EXPECT_TRUE(b.events.wait("peer " + a.uid + " hello b"));
  EXPECT_TRUE(a.events.wait("result " + std::to_string(id) + " 0"));  // PEER_MESSAGE_ERR_OK

  uint8_t raw[] = {0, 1, 2, 0xff};
  IMessage* r = b.rtm->createMessage(raw, 4, "bytes");
  long long rid = r->getMessageId();
  ASSERT_EQ(b.rtm->sendMessageToPeer(a.uid.c_str(), r), 0);
  r->release();
  EXPECT_TRUE(a.events.wait("peer " + b.uid + " raw:" + std::string("\0\1\2\xff", 4) + "|bytes"));
  EXPECT_TRUE(b.events.wait("result " + std::to_string(rid) + " 0"));
  EXPECT_FALSE(a.events.has("bad ts"));
}

TEST(Peer, OfflinePeerUnreachableOrCached) {
  Client a;
  a.login(unique("a"));
  std::string absent = unique("absent");
  IMessage* m = a.rtm->createMessage("dropped");
  long long id1 = m->getMessageId();
  ASSERT_EQ(a.rtm->sendMessageToPeer(absent.c_str(), m), 0);
  m->release();
  EXPECT_TRUE(a.events.wait("result " + std::to_string(id1) + " 3"));  // PEER_UNREACHABLE

  SendMessageOptions options;
  options.enableOfflineMessaging = true;
  IMessage* k = a.rtm->createMessage("kept for you");
  long long id2 = k->getMessageId();
  ASSERT_EQ(a.rtm->sendMessageToPeer(absent.c_str(), k, options), 0);
  k->release();
  EXPECT_TRUE(a.events.wait("result " + std::to_string(id2) + " 4"));  // CACHED_BY_SERVER

  // The receiver gets it at login, marked offline, once (protocol §3.6).
  Client b;
  b.login(absent);
  EXPECT_TRUE(b.events.wait("peer " + a.uid + " offline kept for you"));
  EXPECT_FALSE(b.events.has("peer " + a.uid + " offline dropped"));
}

TEST(Peer, SynchronousCodes) {
  Client a;
  IMessage* m = a.rtm->createMessage("x");
  EXPECT_EQ(a.rtm->sendMessageToPeer("bob", m), PEER_MESSAGE_ERR_USER_NOT_LOGGED_IN);
  a.login(unique("a"));
  EXPECT_EQ(a.rtm->sendMessageToPeer("", m), PEER_MESSAGE_ERR_INVALID_USERID);
  EXPECT_EQ(a.rtm->sendMessageToPeer("null", m), PEER_MESSAGE_ERR_INVALID_USERID);
  EXPECT_EQ(a.rtm->sendMessageToPeer("bob", nullptr), PEER_MESSAGE_ERR_INVALID_MESSAGE);
  IMessage* big = a.rtm->createMessage(std::string(32769, 'x').c_str());
  EXPECT_EQ(a.rtm->sendMessageToPeer("bob", big), PEER_MESSAGE_ERR_INVALID_MESSAGE);
  IMessage* bad_utf8 = a.rtm->createMessage("\xff\xfe");
  EXPECT_EQ(a.rtm->sendMessageToPeer("bob", bad_utf8), PEER_MESSAGE_ERR_INVALID_MESSAGE);
  IMessage* end_call = a.rtm->createMessage(AGORA_RTM_ENDCALL_PREFIX "_room_a_b");
  EXPECT_EQ(a.rtm->sendMessageToPeer("bob", end_call), PEER_MESSAGE_ERR_INVALID_MESSAGE);
  for (auto* x : {m, big, bad_utf8, end_call}) x->release();
}

}  // namespace
}  // namespace rtmtest
