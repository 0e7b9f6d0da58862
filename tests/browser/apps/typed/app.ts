// A TypeScript app written only against agora-rtm-sdk's published types (spec §1.10): it is
// type-checked (strict) against openrtm's AgoraRTM.d.ts through the package alias, bundled with
// esbuild, and run in Chromium by tests/browser/test_js_types.py. APP_ID, PEER and UID are
// replaced by the test.
import AgoraRTM from "agora-rtm-sdk";
import type {
  LocalInvitation,
  RemoteInvitation,
  RtmChannel,
  RtmClient,
  RtmEvents,
  RtmFileMessage,
  RtmImageMessage,
  RtmMessage,
  RtmRawMessage,
  RtmStatusCode,
  RtmTextMessage,
} from "agora-rtm-sdk";

const APP_ID = "%APP_ID%";
const PEER = "%PEER%";
const UID = "%UID%";

interface Outcome {
  states: Array<[RtmStatusCode.ConnectionState, RtmStatusCode.ConnectionChangeReason]>;
  heard: Array<[string, string]>;
  sent?: boolean;
  members?: string[];
  version: string;
  build: string;
  error?: string;
}

const outcome: Outcome = { states: [], heard: [], version: AgoraRTM.VERSION, build: AgoraRTM.BUILD };
(window as unknown as { outcome: Outcome }).outcome = outcome;

function describe(message: RtmMessage): string {
  switch (message.messageType) {
    case "RAW":
      return `raw:${(message as RtmRawMessage).rawMessage.byteLength}`;
    case "FILE":
      return `file:${(message as RtmFileMessage).fileName}`;
    case "IMAGE": {
      const image: RtmImageMessage = message;
      return `image:${image.width}x${image.height}`;
    }
    default:
      return (message as RtmTextMessage).text;
  }
}

// Typed listeners, as Agora's d.ts types them.
const onMessage: RtmEvents.RtmClientEvents["MessageFromPeer"] = (message, peerId, props) => {
  const offline: boolean = props.isOfflineMessage;
  outcome.heard.push([peerId, describe(message) + (offline ? " (offline)" : "")]);
};

// Invitations and media are typed here and not run by the test.
export function call(client: RtmClient, calleeId: string): LocalInvitation {
  const invitation = client.createLocalInvitation(calleeId);
  invitation.content = "join me";
  invitation.on("LocalInvitationAccepted", (response: string) => console.log(response));
  invitation.on("LocalInvitationFailure", (reason: RtmStatusCode.LocalInvitationFailureReason) => {
    if (reason === AgoraRTM.LocalInvitationFailureReason.PEER_OFFLINE) console.log("offline");
  });
  invitation.send();
  return invitation;
}

export function answer(client: RtmClient): void {
  client.on("RemoteInvitationReceived", (invitation: RemoteInvitation) => {
    invitation.response = "on my way";
    invitation.on("RemoteInvitationCanceled", (content: string) => console.log(content));
    if (invitation.state === AgoraRTM.RemoteInvitationState.INVITATION_RECEIVED) invitation.accept();
  });
}

export async function sendPicture(client: RtmClient, blob: Blob, peerId: string): Promise<boolean> {
  const controller = new AbortController();
  const image = await client.createMediaMessageByUploading(
    blob,
    { messageType: "IMAGE", fileName: "a.png", width: 1, height: 1 },
    { cancelSignal: controller.signal, onOperationProgress: (p) => console.log(p.currentSize / p.totalSize) },
  );
  const copy: Blob = await client.downloadMedia(image.mediaId);
  console.log(copy.size);
  const result = await client.sendMessageToPeer(image, peerId, { enableOfflineMessaging: true });
  return result.hasPeerReceived;
}

async function main(): Promise<void> {
  AgoraRTM.setArea({ areaCodes: [AgoraRTM.AreaCode.GLOBAL], excludedArea: AgoraRTM.AreaCode.CHINA });
  const client: RtmClient = AgoraRTM.createInstance(APP_ID, { logFilter: AgoraRTM.LOG_FILTER_WARNING });
  client.updateConfig({ enableLogUpload: false });
  client.on("ConnectionStateChanged", (state, reason) => outcome.states.push([state, reason]));
  client.on("MessageFromPeer", onMessage);
  await client.login({ uid: UID });
  const channel: RtmChannel = client.createChannel("typed");
  channel.on("MemberJoined", (memberId: string) => console.log(memberId));
  await channel.join();
  outcome.members = await channel.getMembers();
  const result = await client.sendMessageToPeer({ text: "hello from a bundle" }, PEER);
  outcome.sent = result.hasPeerReceived;
}

main().catch((error: Error) => {
  outcome.error = `${error.name}: ${error.message}`;
});
