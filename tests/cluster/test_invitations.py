"""Call invitations between users on different nodes (issue #15 item 3; spec §1.5)."""

from __future__ import annotations

from tests.client.test_invitations import invited
from tests.cluster.cluster import Cluster
from tests.cluster.conftest import ConnectFactory


async def test_an_invitation_accepted_across_nodes(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[0], "alice")
    bob = await connect(cluster.nodes[1], "bob")
    invitation, local, remote, remote_events = await invited(alice, bob, "video?")
    assert (remote.caller_id, remote.content) == ("alice", "video?")
    remote.response = "on my way"
    remote.accept()
    assert await local.wait_for("LocalInvitationAccepted") == ("on my way",)
    assert invitation.state == "ACCEPTED_BY_REMOTE"
    # Complete once the caller's SDK, on node 0, confirmed the acceptance to node 1.
    assert await remote_events.wait_for("RemoteInvitationAccepted") == ()
    assert remote.state == "ACCEPTED"


async def test_an_invitation_refused_across_nodes(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[2], "alice")
    bob = await connect(cluster.nodes[0], "bob")
    invitation, local, remote, remote_events = await invited(alice, bob)
    remote.response = "busy"
    remote.refuse()
    assert await remote_events.wait_for("RemoteInvitationRefused") == ()
    assert await local.wait_for("LocalInvitationRefused") == ("busy",)
    assert (invitation.state, invitation.response) == ("REFUSED_BY_REMOTE", "busy")


async def test_an_invitation_cancelled_across_nodes(
    cluster: Cluster, connect: ConnectFactory
) -> None:
    alice = await connect(cluster.nodes[1], "alice")
    bob = await connect(cluster.nodes[2], "bob")
    invitation, local, _remote, remote_events = await invited(alice, bob, "hello")
    invitation.cancel()
    assert await local.wait_for("LocalInvitationCanceled") == ()
    assert await remote_events.wait_for("RemoteInvitationCanceled") == ("hello",)
