/**
 * `RtmClient`'s presence, attribute and invitation methods (spec §1.2), delegating to
 * presence.ts, attributes.ts and invitations.ts, on the login session (session.ts);
 * `RtmClient` (client.ts) extends this class and gives each its session.
 */

import type { Attributes, ChannelAttributeOptions } from "./attributes";
import type { ChannelAttributeProperties } from "./channel";
import type { Invitations, LocalInvitation } from "./invitations";
import type { Presence } from "./presence";
import { Session } from "./session";

export abstract class SessionFeatures extends Session {
  /** Presence and member counts (presence.ts), on the client's session. */
  protected presence!: Presence;
  /** User and channel attributes (attributes.ts). */
  protected attributes!: Attributes;
  /** Call invitations (invitations.ts). */
  protected invitations!: Invitations;

  /**
   * An invitation to `calleeId` (spec §1.2 `createLocalInvitation`, §1.5); set its `content`
   * and call `send()`. Throws code 1 `RtmInvalidArgumentError` for an invalid id (spec §4.14).
   */
  createLocalInvitation(calleeId: string): LocalInvitation {
    return this.invitations.create(calleeId);
  }

  /** Which of 1–256 peers are logged in (spec §1.2 `queryPeersOnlineStatus`, §4.9). */
  queryPeersOnlineStatus(peerIds: string[]): Promise<Record<string, boolean>> {
    return this.presence.query(peerIds);
  }

  /** Follow peers' online state (spec §1.2 `subscribePeersOnlineStatus`, §4.10). */
  subscribePeersOnlineStatus(peerIds: string[]): Promise<void> {
    return this.presence.subscribe(peerIds);
  }

  /** Stop following peers (spec §1.2 `unsubscribePeersOnlineStatus`, §4.10). */
  unsubscribePeersOnlineStatus(peerIds: string[]): Promise<void> {
    return this.presence.unsubscribe(peerIds);
  }

  /** The followed peers (spec §1.2 `queryPeersBySubscriptionOption`, §4.11). */
  queryPeersBySubscriptionOption(option: string): Promise<string[]> {
    return this.presence.queryByOption(option);
  }

  /** Member counts of 1–32 channels, joined or not (spec §1.2 `getChannelMemberCount`). */
  getChannelMemberCount(channelIds: string[]): Promise<Record<string, number>> {
    return this.presence.memberCounts(channelIds);
  }

  /** Replace this user's attributes (spec §1.2 `setLocalUserAttributes`, §4.12). */
  setLocalUserAttributes(attributes: Record<string, string>): Promise<void> {
    return this.attributes.setLocal(attributes);
  }

  /** Add or replace some of this user's attributes (`addOrUpdateLocalUserAttributes`). */
  addOrUpdateLocalUserAttributes(attributes: Record<string, string>): Promise<void> {
    return this.attributes.updateLocal(attributes);
  }

  /** Delete this user's attributes of `attributeKeys` (`deleteLocalUserAttributesByKeys`). */
  deleteLocalUserAttributesByKeys(attributeKeys: string[]): Promise<void> {
    return this.attributes.deleteLocal(attributeKeys);
  }

  /** Delete all of this user's attributes (`clearLocalUserAttributes`). */
  clearLocalUserAttributes(): Promise<void> {
    return this.attributes.clearLocal();
  }

  /** An online user's attributes (`getUserAttributes`); code 6 when the user is offline. */
  getUserAttributes(userId: string): Promise<Record<string, string>> {
    return this.attributes.getUser(userId);
  }

  /** An online user's attributes of `attributeKeys` (`getUserAttributesByKeys`). */
  getUserAttributesByKeys(userId: string, attributeKeys: string[]): Promise<Record<string, string>> {
    return this.attributes.getUser(userId, attributeKeys);
  }

  /** Replace a channel's attributes (spec §1.2 `setChannelAttributes`); no join needed. */
  setChannelAttributes(
    channelId: string,
    attributes: Record<string, string>,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.attributes.writeChannel("set_channel_attrs", channelId, { attrs: attributes }, options);
  }

  /** Add or replace some of a channel's attributes (`addOrUpdateChannelAttributes`). */
  addOrUpdateChannelAttributes(
    channelId: string,
    attributes: Record<string, string>,
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.attributes.writeChannel("update_channel_attrs", channelId, { attrs: attributes }, options);
  }

  /** Delete a channel's attributes of `attributeKeys` (`deleteChannelAttributesByKeys`). */
  deleteChannelAttributesByKeys(
    channelId: string,
    attributeKeys: string[],
    options?: ChannelAttributeOptions,
  ): Promise<void> {
    return this.attributes.writeChannel("delete_channel_attrs", channelId, { keys: attributeKeys }, options);
  }

  /** Delete all of a channel's attributes (`clearChannelAttributes`). */
  clearChannelAttributes(channelId: string, options?: ChannelAttributeOptions): Promise<void> {
    return this.attributes.writeChannel("clear_channel_attrs", channelId, {}, options);
  }

  /** A channel's attributes (`getChannelAttributes`): `{key: {value, lastUpdateUserId, lastUpdateTs}}`. */
  getChannelAttributes(channelId: string): Promise<Record<string, ChannelAttributeProperties>> {
    return this.attributes.getChannel(channelId);
  }

  /** A channel's attributes of `attributeKeys` (`getChannelAttributesByKeys`). */
  getChannelAttributesByKeys(
    channelId: string,
    attributeKeys: string[],
  ): Promise<Record<string, ChannelAttributeProperties>> {
    return this.attributes.getChannel(channelId, attributeKeys);
  }
}
