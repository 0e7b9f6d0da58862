// The quick start of Agora's Web documentation for RTM 1.x, "Peer-to-peer or channel
// messaging" (https://docs.agora.io/en/Real-time-Messaging/messaging_web?platform=Web; doc
// source: GitHub AgoraIO/agora_doc_source, markdown/en/Real-time-Messaging/messaging_web.md and
// its later "index.js" form): the same calls, events and page elements in the same order, with
// our own log wording. Only the App ID (the doc's placeholder) is filled in by the test. It
// knows nothing of openrtm: the SDK finds its server next to its own script.

let options = {
  uid: "",
  token: "",
};

const appID = "%APP_ID%";

const client = AgoraRTM.createInstance(appID);

function log(text) {
  document.getElementById("log").appendChild(document.createElement("div")).append(text);
}

client.on("MessageFromPeer", function (message, peerId) {
  log("Message from: " + peerId + " Message: " + message.text);
});
client.on("ConnectionStateChanged", function (state, reason) {
  log("State changed To: " + state + " Reason: " + reason);
});

let channel = null;

window.onload = function () {
  document.getElementById("login").onclick = async function () {
    options.uid = document.getElementById("userID").value.toString();
    await client.login(options);
  };

  document.getElementById("logout").onclick = async function () {
    await client.logout();
  };

  document.getElementById("join").onclick = async function () {
    let channelName = document.getElementById("channelName").value.toString();
    channel = client.createChannel(channelName);
    channel.on("ChannelMessage", function (message, memberId) {
      log("Message received from: " + memberId + " Message: " + message.text);
    });
    channel.on("MemberJoined", function (memberId) {
      log(memberId + " joined the channel");
    });
    channel.on("MemberLeft", function (memberId) {
      log(memberId + " left the channel");
    });
    await channel.join().then(() => {
      log("You have successfully joined channel " + channel.channelId);
    });
    const members = await channel.getMembers();
    log("Members: " + members.join(","));
  };

  document.getElementById("leave").onclick = async function () {
    if (channel != null) {
      await channel.leave();
    } else {
      console.log("Channel is empty");
    }
  };

  document.getElementById("send_peer_message").onclick = async function () {
    let peerId = document.getElementById("peerId").value.toString();
    let peerMessage = document.getElementById("peerMessage").value.toString();
    await client.sendMessageToPeer({ text: peerMessage }, peerId).then((sendResult) => {
      if (sendResult.hasPeerReceived) {
        log("Message has been received by: " + peerId + " Message: " + peerMessage);
      } else {
        log("Message sent to: " + peerId + " Message: " + peerMessage);
      }
    });
  };

  document.getElementById("send_channel_message").onclick = async function () {
    let channelMessage = document.getElementById("channelMessage").value.toString();
    if (channel != null) {
      await channel.sendMessage({ text: channelMessage }).then(() => {
        log("Channel message: " + channelMessage + " from " + channel.channelId);
      });
    }
  };
};
