// Online status and member counts (spec §4.9-§4.11, §4.13, §6.8, §6.9; protocol §3.13-§3.16).
#include "rtm_test.h"

namespace rtmtest {
namespace {

TEST(Presence, QuerySubscribeAndChanges) {
  Client a, b;
  a.login(unique("a"));
  std::string bob = unique("b"), nobody = unique("nobody");
  const char* ids[] = {bob.c_str(), nobody.c_str(), a.uid.c_str()};
  long long q = 0;
  ASSERT_EQ(a.rtm->queryPeersOnlineStatus(ids, 3, q), 0);
  EXPECT_GT(q, 0);
  std::vector<std::string> expected = {a.uid + ":0", bob + ":2", nobody + ":2"};
  std::sort(expected.begin(), expected.end());
  EXPECT_TRUE(a.events.wait("query " + std::to_string(q) + " 0 " + expected[0] + " " + expected[1] + " " +
                            expected[2]));

  long long s = 0;
  ASSERT_EQ(a.rtm->subscribePeersOnlineStatus(ids, 2, s), 0);
  EXPECT_TRUE(a.events.wait("subscription " + std::to_string(s) + " 0"));
  EXPECT_TRUE(a.events.wait("status " + bob + ":2"));  // the initial snapshot: OFFLINE
  b.login(bob);
  EXPECT_TRUE(a.events.wait("status " + bob + ":0"));  // ONLINE
  long long l = 0;
  ASSERT_EQ(a.rtm->queryPeersBySubscriptionOption(PEER_SUBSCRIPTION_OPTION_ONLINE_STATUS, l), 0);
  std::string listed = bob < nobody ? bob + " " + nobody : nobody + " " + bob;
  EXPECT_TRUE(a.events.wait("subscribed " + std::to_string(l) + " 0 " + listed));
  ASSERT_EQ(b.rtm->logout(), 0);
  EXPECT_TRUE(a.events.wait("status " + bob + ":2"));
  long long u = 0;
  ASSERT_EQ(a.rtm->unsubscribePeersOnlineStatus(ids, 2, u), 0);
  EXPECT_TRUE(a.events.wait("subscription " + std::to_string(u) + " 0"));
}

TEST(Presence, SynchronousCodes) {
  Client a;
  long long id = 0;
  const char* ok[] = {"bob"};
  const char* bad[] = {"null"};
  EXPECT_EQ(a.rtm->queryPeersOnlineStatus(ok, 1, id), QUERY_PEERS_ONLINE_STATUS_ERR_USER_NOT_LOGGED_IN);
  a.login(unique("a"));
  EXPECT_EQ(a.rtm->queryPeersOnlineStatus(ok, 0, id), QUERY_PEERS_ONLINE_STATUS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(a.rtm->queryPeersOnlineStatus(bad, 1, id), QUERY_PEERS_ONLINE_STATUS_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(a.rtm->subscribePeersOnlineStatus(bad, 1, id), PEER_SUBSCRIPTION_STATUS_ERR_INVALID_ARGUMENT);
  std::vector<std::string> many;
  for (int i = 0; i < 513; ++i) many.push_back("p" + std::to_string(i));
  std::vector<const char*> many_p;
  for (auto& m : many) many_p.push_back(m.c_str());
  EXPECT_EQ(a.rtm->subscribePeersOnlineStatus(many_p.data(), 513, id), PEER_SUBSCRIPTION_STATUS_ERR_OVERFLOW);
  const char* channels[] = {"x"};
  EXPECT_EQ(a.rtm->getChannelMemberCount(many_p.data(), 33, id), GET_CHANNEL_MEMBER_COUNT_ERR_EXCEED_LIMIT);
  EXPECT_EQ(a.rtm->getChannelMemberCount(bad, 1, id), GET_CHANNEL_MEMBER_COUNT_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(a.rtm->getChannelMemberCount(channels, 1, id), 0);
  // Spec §5.4: one call a second.
  EXPECT_EQ(a.rtm->getChannelMemberCount(channels, 1, id), GET_CHANNEL_MEMBER_COUNT_ERR_TOO_OFTEN);
}

TEST(Presence, MemberCountsWithoutJoining) {
  Client a, b;
  a.login(unique("a"));
  b.login(unique("b"));
  std::string room = unique("room"), empty = unique("empty");
  ChannelRecorder cb;
  IChannel* ch = b.rtm->createChannel(room.c_str(), &cb);
  ASSERT_EQ(ch->join(), 0);
  ASSERT_TRUE(cb.wait("joined"));
  const char* ids[] = {room.c_str(), empty.c_str()};
  long long id = 0;
  ASSERT_EQ(a.rtm->getChannelMemberCount(ids, 2, id), 0);
  std::string expected = room < empty ? room + ":1 " + empty + ":0" : empty + ":0 " + room + ":1";
  EXPECT_TRUE(a.events.wait("counts " + std::to_string(id) + " 0 " + expected));
  ch->release();
}

}  // namespace
}  // namespace rtmtest
