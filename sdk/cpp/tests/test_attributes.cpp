// User and channel attributes (spec §4.12, §5.3, §6.6, §6.7; protocol §3.17, §3.18).
#include "rtm_test.h"

namespace rtmtest {
namespace {

TEST(Attributes, UserAttributes) {
  Client a, b;
  a.login(unique("a"));
  b.login(unique("b"));
  RtmAttribute attrs[] = {{"mood", "happy"}, {"city", "Oslo"}};
  long long id = 0;
  ASSERT_EQ(a.rtm->setLocalUserAttributes(attrs, 2, id), 0);
  EXPECT_TRUE(a.events.wait("attr " + std::to_string(id) + " 0"));
  RtmAttribute more[] = {{"mood", "calm"}};
  ASSERT_EQ(a.rtm->addOrUpdateLocalUserAttributes(more, 1, id), 0);
  EXPECT_TRUE(a.events.wait("attr " + std::to_string(id) + " 0"));
  ASSERT_EQ(b.rtm->getUserAttributes(a.uid.c_str(), id), 0);
  EXPECT_TRUE(b.events.wait("user attrs " + std::to_string(id) + " " + a.uid + " 0 city=Oslo mood=calm"));
  const char* keys[] = {"city"};
  ASSERT_EQ(b.rtm->getUserAttributesByKeys(a.uid.c_str(), keys, 1, id), 0);
  EXPECT_TRUE(b.events.wait("user attrs " + std::to_string(id) + " " + a.uid + " 0 city=Oslo"));
  ASSERT_EQ(a.rtm->deleteLocalUserAttributesByKeys(keys, 1, id), 0);
  EXPECT_TRUE(a.events.wait("attr " + std::to_string(id) + " 0"));
  ASSERT_EQ(a.rtm->clearLocalUserAttributes(id), 0);
  EXPECT_TRUE(a.events.wait("attr " + std::to_string(id) + " 0"));
  ASSERT_EQ(b.rtm->getUserAttributes(a.uid.c_str(), id), 0);
  EXPECT_TRUE(b.events.wait("user attrs " + std::to_string(id) + " " + a.uid + " 0"));
  std::string gone = unique("gone");
  ASSERT_EQ(b.rtm->getUserAttributes(gone.c_str(), id), 0);
  EXPECT_TRUE(b.events.wait("user attrs " + std::to_string(id) + " " + gone + " 6"));  // USER_NOT_FOUND
}

TEST(Attributes, ChannelAttributesWithNotification) {
  Client a, b;
  a.login(unique("a"));
  b.login(unique("b"));
  std::string room = unique("room");
  ChannelRecorder ca;
  IChannel* ch = a.rtm->createChannel(room.c_str(), &ca);
  ASSERT_EQ(ch->join(), 0);
  ASSERT_TRUE(ca.wait("joined"));
  IRtmChannelAttribute* topic = b.rtm->createChannelAttribute();
  topic->setKey("topic");
  topic->setValue("launch");
  const IRtmChannelAttribute* list[] = {topic};
  ChannelAttributeOptions notify;
  notify.enableNotificationToChannelMembers = true;
  long long id = 0;
  // b writes without joining; a, a member, is told the complete set.
  ASSERT_EQ(b.rtm->setChannelAttributes(room.c_str(), list, 1, notify, id), 0);
  EXPECT_TRUE(b.events.wait("attr " + std::to_string(id) + " 0"));
  EXPECT_TRUE(ca.wait("attrs updated topic=launch@" + b.uid));
  ASSERT_EQ(a.rtm->getChannelAttributes(room.c_str(), id), 0);
  EXPECT_TRUE(a.events.wait("channel attrs " + std::to_string(id) + " 0 topic=launch@" + b.uid));
  const char* keys[] = {"topic"};
  ASSERT_EQ(a.rtm->deleteChannelAttributesByKeys(room.c_str(), keys, 1, ChannelAttributeOptions(), id), 0);
  EXPECT_TRUE(a.events.wait("attr " + std::to_string(id) + " 0"));
  ASSERT_EQ(a.rtm->getChannelAttributesByKeys(room.c_str(), keys, 1, id), 0);
  EXPECT_TRUE(a.events.wait("channel attrs " + std::to_string(id) + " 0"));
  topic->release();
  ch->release();
}

TEST(Attributes, SynchronousCodes) {
  Client a;
  long long id = 0;
  RtmAttribute ok[] = {{"k", "v"}};
  EXPECT_EQ(a.rtm->setLocalUserAttributes(ok, 1, id), ATTRIBUTE_OPERATION_ERR_USER_NOT_LOGGED_IN);
  a.login(unique("a"));
  RtmAttribute empty_value[] = {{"k", ""}};
  EXPECT_EQ(a.rtm->setLocalUserAttributes(empty_value, 1, id), ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT);
  std::string long_key(33, 'k');
  RtmAttribute bad_key[] = {{long_key.c_str(), "v"}};
  EXPECT_EQ(a.rtm->setLocalUserAttributes(bad_key, 1, id), ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT);
  std::string big(8193, 'v');
  RtmAttribute big_value[] = {{"k", big.c_str()}};
  EXPECT_EQ(a.rtm->setLocalUserAttributes(big_value, 1, id), ATTRIBUTE_OPERATION_ERR_SIZE_OVERFLOW);
  EXPECT_EQ(a.rtm->getUserAttributes("null", id), ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(a.rtm->clearChannelAttributes("", ChannelAttributeOptions(), id), ATTRIBUTE_OPERATION_ERR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace rtmtest
