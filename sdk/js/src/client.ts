/**
 * `RtmClient` (spec §1.2, §1.3): the composition root of the browser SDK. Its bases own the
 * login session and its connection state (session.ts, session-state.ts, moving along
 * connection-states.ts) and the presence, attribute and invitation methods
 * (session-features.ts); here the parts are built and given what they need of each other:
 * peer messages (peer-messages.ts), channels (channel.ts), presence, attributes, invitations
 * and media (media.ts), and the server's pushes are routed to them (protocol §2.2).
 */

import { Attributes } from "./attributes";
import { CHANNEL_PUSHES, RtmChannel, type ChannelHost } from "./channel";
import type { Connection, ServerFrame } from "./connection";
import { fire } from "./emitter";
import { CreateChannelError, rtmError } from "./errors";
import { INVITATION_PUSHES, Invitations } from "./invitations";
import { isValidUserId } from "./limits";
import { MediaTransfers, type MediaMessageParams, type MediaTransferHandler } from "./media";
import type { RtmFileMessage, RtmImageMessage } from "./media-messages";
import {
  createMessage,
  type PeerMessageSendResult,
  type RtmMessage,
  type SendMessageOptions,
} from "./messages";
import { PeerMessages } from "./peer-messages";
import { Presence, type SessionLink } from "./presence";
import type { LogFilterType } from "./log-filters";
import { isServerUrl } from "./server-url";
import { SessionFeatures } from "./session-features";
import { REQUEST_TIMEOUT_MS } from "./session-state";

/** `createInstance`'s config (spec §1.1), plus `server`: the openrtm WebSocket URL. */
export interface RtmConfig {
  enableLogUpload?: boolean;
  logFilter?: LogFilterType;
  enableCloudProxy?: boolean;
  server?: string;
}

/** The config keys `updateConfig` keeps (Agora's three and openrtm's `server`). */
const CONFIG_KEYS = ["enableLogUpload", "logFilter", "enableCloudProxy", "server"] as const;

export class RtmClient extends SessionFeatures {
  private readonly peers: PeerMessages;
  private readonly transfers: MediaTransfers;
  /** What the channels need of this client, without widening its public face. */
  private readonly host: ChannelHost;

  constructor(appId: string, config: RtmConfig) {
    super(appId, config);
    const emit = (event: string, ...args: unknown[]) => this.fire(event, ...args);
    this.peers = new PeerMessages(this.connected.bind(this), emit);
    this.host = {
      connection: () => this.connection(),
      channels: new Map(),
      rates: this.rates,
      whenReconnected: (timeoutMs) => this.whenReconnected(timeoutMs),
      reconnecting: () => this.reconnecting(),
      takeMessageBudget: () => this.peers.takeBudget(),
      nextMid: () => this.peers.nextMid(),
      fire: (target, event, ...args) => fire(target, event, args),
    };
    const link: SessionLink = {
      loggedIn: () => this.loggedIn(),
      request: this.request.bind(this),
      rates: this.rates,
      fire: emit,
    };
    this.presence = new Presence(link);
    this.attributes = new Attributes(link);
    const session = () => this.sessionId;
    this.invitations = new Invitations({ ...this.host, session, client: this });
    // Protocol §10.1: transfers need CONNECTED, and the ticket of the session now logged in
    // (a new session after a lost link has a new one).
    this.transfers = new MediaTransfers({
      session: () => (this.connection() !== null ? this.media : null),
    });
  }

  /**
   * Send a peer message (spec §1.2 `sendMessageToPeer`, §6.1, §4.4; protocol §3.4;
   * peer-messages.ts). Resolves `{hasPeerReceived}`.
   */
  sendMessageToPeer(
    message: RtmMessage,
    peerId: string,
    options?: SendMessageOptions,
  ): Promise<PeerMessageSendResult> {
    return this.peers.send(message, peerId, options);
  }

  /**
   * A channel object (spec §1.2 `createChannel`, §1.4); joining is separate. Throws code 1
   * `RtmInvalidArgumentError` for an invalid channel id (spec §4.15, §5.1).
   */
  createChannel(channelId: string): RtmChannel {
    if (!isValidUserId(channelId)) {
      const code = CreateChannelError.INVALID_ARGUMENT;
      throw rtmError(code, "RtmInvalidArgumentError", "invalid channel id");
    }
    return new RtmChannel(channelId, this.host);
  }

  /** `createMessage` (spec §1.2): the identity, but FILE/IMAGE get their defaults (1.4.x). */
  createMessage<T>(message: Partial<T>): T {
    return createMessage(message as T);
  }

  /**
   * Change the config after `createInstance` (spec §1.2, since 1.4.2). Like Agora's, it keeps
   * the keys whose value is not null or undefined and ignores unknown ones; `logFilter`,
   * `enableLogUpload` and `enableCloudProxy` have no effect here, and a new `server` is used
   * from the next connection on. Throws code 1 `RtmInvalidArgumentError` for a config that is
   * not an object or a `server` that is not a `ws://` / `wss://` URL.
   */
  updateConfig(config: RtmConfig): void {
    if (typeof config !== "object" || config === null) {
      throw rtmError(1, "RtmInvalidArgumentError", "the config must be an object");
    }
    if (config.server !== undefined && config.server !== null && !isServerUrl(config.server)) {
      throw rtmError(1, "RtmInvalidArgumentError", "server must be a ws:// or wss:// URL");
    }
    for (const key of CONFIG_KEYS) {
      const value = config[key];
      if (value !== undefined && value !== null) Object.assign(this.config, { [key]: value });
    }
  }

  /** The deprecated name of `updateConfig` (spec §1.2, before 1.4.2). */
  setParameters(config: RtmConfig): void {
    this.updateConfig(config);
  }

  /** Upload a FILE or IMAGE message's object (spec §1.2, ≤ 1.4.x; media.ts). */
  createMediaMessageByUploading(
    blob: Blob,
    params?: MediaMessageParams,
    handler?: MediaTransferHandler,
  ): Promise<RtmFileMessage | RtmImageMessage> {
    return this.transfers.upload(blob, params, handler);
  }

  /** Download a FILE or IMAGE message's object as a Blob (spec §1.2, ≤ 1.4.x; media.ts). */
  downloadMedia(mediaId: string, handler?: MediaTransferHandler): Promise<Blob> {
    return this.transfers.download(mediaId, handler);
  }

  /** The session ended (logout, kick): the server has left every channel (protocol §3.8). */
  protected leaveSession(): void {
    for (const channel of [...this.host.channels.values()]) channel.forget();
    this.presence.clear(); // following ends with the session (spec §6.9, protocol §3.14)
    this.attributes.clear(); // and so do this user's attributes (spec §6.6, protocol §3.17)
  }

  /** Protocol §3.21: invitations end with the session. */
  protected endInvitations(): void {
    this.invitations.sessionOver();
  }

  /**
   * A new session after a lost one (protocol §3.2, §9): re-join the channels, follow the same
   * peers and write the user attributes again, before CONNECTED is announced, as the Python
   * SDK does. A channel the server refuses now is left, as the session that joined it is gone.
   */
  protected async restoreSession(conn: Connection): Promise<void> {
    const send = (op: string, fields: Record<string, unknown>) =>
      conn.request(op, fields, REQUEST_TIMEOUT_MS, 1);
    const rejoin = async (channel: RtmChannel) => {
      try {
        await send("join", { channel: channel.channelId });
      } catch {
        if (conn === this.conn) channel.forget();
      }
    };
    await Promise.all([
      ...[...this.host.channels.values()].map(rejoin),
      this.presence.restore(send),
      this.attributes.restore(send),
    ]);
  }

  /** Pushes (protocol §2.2), handled from the moment the WebSocket opens (protocol §2.3). */
  protected onPush(frame: ServerFrame, conn: Connection): void {
    if (frame.t === "peer_msg") this.peers.onPush(frame, conn);
    else if (frame.t === "peer_status") {
      this.presence.onPush(frame.statuses as Record<string, "ONLINE" | "UNREACHABLE" | "OFFLINE">);
    } else if (frame.t === "token_expiring") this.fire("TokenPrivilegeWillExpire"); // spec §1.3
    else if (INVITATION_PUSHES.has(frame.t)) this.invitations.onPush(frame, conn); // protocol §3.21
    else if (CHANNEL_PUSHES.has(frame.t) && conn === this.conn) {
      // Protocol §3.11: routed by `channel`; dropped for a channel this client has left.
      this.host.channels.get(String(frame.channel))?.onPush(frame);
    }
  }
}
