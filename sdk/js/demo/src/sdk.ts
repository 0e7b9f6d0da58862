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
  RtmMessage,
} from "../../src/index";
import type { MediaApi } from "./sdk-pending";

declare const AgoraRTM: typeof AgoraRTMModule;

/** The module object, read once the SDK's script has run. */
export function agoraRTM(): typeof AgoraRTMModule {
  return AgoraRTM;
}

/** The client with the members the demo uses (see sdk-pending.ts for those not merged yet). */
export type DemoClient = RtmClient & MediaApi;

export type { LocalInvitation, RemoteInvitation, RtmChannel, RtmError, RtmMessage };

/** What every feature module gets once a client exists (before its login). */
export interface Session {
  readonly client: DemoClient;
  readonly uid: string;
}
