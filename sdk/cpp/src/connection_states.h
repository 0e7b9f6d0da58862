// The connection state machine of spec §3.2 as a table (design §7: state machines as tables).
#pragma once

#include "IAgoraRtmService.h"

namespace openrtm {

using agora::rtm::CONNECTION_CHANGE_REASON;
using agora::rtm::CONNECTION_STATE;

// Whether spec §3.2 allows moving from `from` to `to` for `reason`.
bool transition_allowed(CONNECTION_STATE from, CONNECTION_STATE to, CONNECTION_CHANGE_REASON reason);

// Protocol §5: what a close of a logged-in connection means. `code` is -1 when the link ended
// without a close frame.
struct ClosePolicy {
  bool reconnect;                   // go RECONNECTING and resume
  CONNECTION_STATE state;           // otherwise: this state,
  CONNECTION_CHANGE_REASON reason;  // for this reason
  bool token_expired;               // and onTokenExpired
};
ClosePolicy close_policy(int code);

}  // namespace openrtm
