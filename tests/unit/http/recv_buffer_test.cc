#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "http/http_connection.h"

namespace herald::gateway {
namespace {

void put(RecvBuffer& buffer, const std::string& bytes, std::size_t room = 16) {
  char* at = buffer.room(std::max(room, bytes.size()));
  std::memcpy(at, bytes.data(), bytes.size());
  buffer.commit(bytes.size());
}

TEST(RecvBuffer, KeepsUnreadBytesInOrderAcrossReads) {
  RecvBuffer buffer;
  EXPECT_EQ(buffer.size(), 0u);
  put(buffer, "GET / HT");
  put(buffer, "TP/1.1\r\n");
  EXPECT_EQ(buffer.unread(), "GET / HTTP/1.1\r\n");
  buffer.consume(4);
  EXPECT_EQ(buffer.unread(), "/ HTTP/1.1\r\n");
  EXPECT_EQ(buffer.size(), 12u);
}

TEST(RecvBuffer, MovesUnreadBytesToTheFrontWhenRoomRunsOut) {
  RecvBuffer buffer;
  put(buffer, std::string(10, 'a') + "bcdef", 16);
  buffer.consume(10);
  // 1 byte of room left at the end: the 5 unread ones move to the front.
  put(buffer, std::string(11, 'g'), 11);
  EXPECT_EQ(buffer.unread(), "bcdef" + std::string(11, 'g'));
}

TEST(RecvBuffer, GrowsForMoreThanItHolds) {
  RecvBuffer buffer;
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    const std::string piece(1000, static_cast<char>('a' + i % 26));
    put(buffer, piece, 1000);
    expected += piece;
  }
  EXPECT_EQ(buffer.unread(), expected);
}

TEST(RecvBuffer, ConsumingEverythingStartsOverAndNeverPastTheEnd) {
  RecvBuffer buffer;
  put(buffer, "abc");
  buffer.consume(10);  // more than held: all of it
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.unread(), "");
  put(buffer, "xyz");
  EXPECT_EQ(buffer.unread(), "xyz");
}

}  // namespace
}  // namespace herald::gateway
