/**
 * The SDK as the page has it: the global `AgoraRTM` set by `<script src="/sdk/agora-rtm-sdk.js">`
 * (spec §1.1), typed with the SDK's own types so that `npm run build` type-checks the demo in
 * strict mode against the SDK it runs on.
 */

import type AgoraRTMModule from "../../src/index";
import type {
  LocalInvitation,
  RemoteInvitation,
  RtmChannel,
  RtmClient,
  RtmError,
  RtmFileMessage,
  RtmImageMessage,
  RtmMessage,
} from "../../src/index";

declare const AgoraRTM: typeof AgoraRTMModule;

/** The module object, read once the SDK's script has run. */
export function agoraRTM(): typeof AgoraRTMModule {
  return AgoraRTM;
}

/** The client the demo drives. */
export type DemoClient = RtmClient;

/** Any message the demo sends or receives (TEXT, RAW, FILE, IMAGE). */
export type AnyMessage = RtmMessage;

export type {
  LocalInvitation,
  RemoteInvitation,
  RtmChannel,
  RtmError,
  RtmFileMessage,
  RtmImageMessage,
  RtmMessage,
};

/** What every feature module gets once a client exists (before its login). */
export interface Session {
  readonly client: DemoClient;
  readonly uid: string;
}
