"""openrtm: a self-hosted real-time messaging server compatible with Agora RTM 1.x.

This package's top level is the Python SDK (design §4)::

    import openrtm

    client = openrtm.create_instance(app_id, server="ws://127.0.0.1:8765/")
    client.on("ConnectionStateChanged", lambda state, reason: print(state, reason))
    await client.login("alice")
"""

from openrtm._version import VERSION
from openrtm.client.attributes import ChannelAttribute, ChannelAttributeOptions
from openrtm.client.channel import RtmChannel
from openrtm.client.client import RtmClient, create_instance
from openrtm.client.invitation import LocalInvitation, RemoteInvitation
from openrtm.client.media import (
    MediaMessageParams,
    MediaOperationProgress,
    MediaTransferHandler,
)
from openrtm.client.messages import (
    PeerMessageSendResult,
    ReceivedMessageProperties,
    RtmMessage,
    SendMessageOptions,
)
from openrtm.errors import (
    RtmError,
    RtmInternalError,
    RtmInvalidArgumentError,
    RtmInvalidStatusError,
    RtmInvokeTooOftenError,
    RtmLimitExceededError,
    RtmTimeoutError,
    RtmUnauthenticatedError,
    RtmUnavailableError,
    RtmUnknownError,
)
from openrtm.protocol.codes import (
    ConnectionChangeReason,
    ConnectionState,
    LocalInvitationFailureReason,
    LocalInvitationState,
    MessageType,
    PeerOnlineState,
    PeerSubscriptionOption,
    RemoteInvitationFailureReason,
    RemoteInvitationState,
)
from openrtm.protocol.limits import END_CALL_PREFIX

__all__ = [
    "END_CALL_PREFIX",
    "VERSION",
    "ChannelAttribute",
    "ChannelAttributeOptions",
    "ConnectionChangeReason",
    "ConnectionState",
    "LocalInvitation",
    "LocalInvitationFailureReason",
    "LocalInvitationState",
    "MediaMessageParams",
    "MediaOperationProgress",
    "MediaTransferHandler",
    "MessageType",
    "PeerMessageSendResult",
    "PeerOnlineState",
    "PeerSubscriptionOption",
    "ReceivedMessageProperties",
    "RemoteInvitation",
    "RemoteInvitationFailureReason",
    "RemoteInvitationState",
    "RtmChannel",
    "RtmClient",
    "RtmError",
    "RtmInternalError",
    "RtmInvalidArgumentError",
    "RtmInvalidStatusError",
    "RtmInvokeTooOftenError",
    "RtmLimitExceededError",
    "RtmMessage",
    "RtmTimeoutError",
    "RtmUnauthenticatedError",
    "RtmUnavailableError",
    "RtmUnknownError",
    "SendMessageOptions",
    "create_instance",
]
