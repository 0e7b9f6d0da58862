// Channels: join, members, messages, member events and counts, leave (spec §4.5-§4.8, §6.4,
// §6.8; protocol §3.7-§3.11).
#include "rtm_test.h"

namespace rtmtest {
namespace {

TEST(Channel, JoinMessagesMembersLeave) {
  Client a, b;
  a.login(unique("a"));
  b.login(unique("b"));
  std::string id = unique("room");
  ChannelRecorder ca, cb;
  IChannel* cha = a.rtm->createChannel(id.c_str(), &ca);
  ASSERT_NE(cha, nullptr);
  EXPECT_EQ(a.rtm->createChannel(id.c_str(), &ca), cha);  // the same instance for the same id
  EXPECT_STREQ(cha->getId(), id.c_str());
  ASSERT_EQ(cha->join(), 0);
  EXPECT_TRUE(ca.wait("joined"));
  EXPECT_TRUE(ca.wait("count 1"));
  EXPECT_EQ(cha->join(), JOIN_CHANNEL_ERR_ALREADY_JOINED);

  IChannel* chb = b.rtm->createChannel(id.c_str(), &cb);
  ASSERT_EQ(chb->join(), 0);
  EXPECT_TRUE(cb.wait("joined"));
  EXPECT_TRUE(ca.wait("member joined " + b.uid));
  EXPECT_TRUE(ca.wait("count 2"));

  IMessage* m = b.rtm->createMessage("hello room");
  long long mid = m->getMessageId();
  ASSERT_EQ(chb->sendMessage(m), 0);
  m->release();
  EXPECT_TRUE(ca.wait("msg " + b.uid + " hello room"));
  EXPECT_TRUE(cb.wait("result " + std::to_string(mid) + " 0"));
  EXPECT_FALSE(cb.has("msg " + b.uid + " hello room"));  // never to the sender (spec §6.4)

  ASSERT_EQ(cha->getMembers(), 0);
  std::string expected = a.uid < b.uid ? a.uid + " " + b.uid : b.uid + " " + a.uid;
  EXPECT_TRUE(ca.wait("members 0 " + expected));

  ASSERT_EQ(chb->leave(), 0);
  EXPECT_TRUE(cb.wait("left 0"));
  EXPECT_TRUE(ca.wait("member left " + b.uid));
  EXPECT_EQ(chb->leave(), LEAVE_CHANNEL_ERR_NOT_IN_CHANNEL);
  EXPECT_EQ(chb->getMembers(), GET_MEMBERS_ERR_NOT_IN_CHANNEL);
  chb->release();
  cha->release();
}

TEST(Channel, SynchronousCodes) {
  Client a;
  ChannelRecorder c;
  EXPECT_EQ(a.rtm->createChannel("", &c), nullptr);
  EXPECT_EQ(a.rtm->createChannel("null", &c), nullptr);
  IChannel* ch = a.rtm->createChannel(unique("room").c_str(), &c);
  ASSERT_NE(ch, nullptr);
  IMessage* m = a.rtm->createMessage("x");
  EXPECT_EQ(ch->join(), JOIN_CHANNEL_ERR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(ch->leave(), LEAVE_CHANNEL_ERR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(ch->sendMessage(m), CHANNEL_MESSAGE_ERR_USER_NOT_LOGGED_IN);
  EXPECT_EQ(ch->getMembers(), GET_MEMBERS_ERR_USER_NOT_LOGGED_IN);
  a.login(unique("a"));
  EXPECT_EQ(ch->sendMessage(m), CHANNEL_MESSAGE_ERR_FAILURE);  // not joined
  EXPECT_EQ(ch->sendMessage(nullptr), CHANNEL_MESSAGE_ERR_INVALID_MESSAGE);
  ASSERT_EQ(ch->join(), 0);
  ASSERT_TRUE(c.wait("joined"));
  ASSERT_EQ(ch->leave(), 0);
  ASSERT_TRUE(c.wait("left 0"));
  EXPECT_EQ(ch->join(), 0);
  EXPECT_EQ(ch->leave(), 0);
  // Spec §5.4: the same channel at most twice in 5 s.
  EXPECT_EQ(ch->join(), JOIN_CHANNEL_ERR_JOIN_SAME_CHANNEL_TOO_OFTEN);
  m->release();
  ch->release();
}

}  // namespace
}  // namespace rtmtest
