/**
 * Error display: every failure of an SDK call becomes one card with the error's `name` and
 * `code` (spec §1.8: what an Agora app tests) and a sentence a person can act on. The codes are
 * per operation (spec §4), so the sentences are looked up by operation, then code.
 */

import { byId, h } from "./dom";

export type Operation =
  | "createInstance"
  | "login"
  | "logout"
  | "peerMessage"
  | "createChannel"
  | "join"
  | "leave"
  | "channelMessage"
  | "getMembers"
  | "subscribe"
  | "unsubscribe"
  | "invitation"
  | "upload"
  | "download";

/** What the user was doing, for the card's title. */
const TITLES: Record<Operation, string> = {
  createInstance: "Could not start the client",
  login: "Could not log in",
  logout: "Could not log out",
  peerMessage: "Message not sent",
  createChannel: "Not a channel name",
  join: "Could not join the channel",
  leave: "Could not leave the channel",
  channelMessage: "Channel message not sent",
  getMembers: "Could not list the members",
  subscribe: "Could not follow",
  unsubscribe: "Could not unfollow",
  invitation: "Call failed",
  upload: "Upload failed",
  download: "Download failed",
};

const ID_RULE = "1 to 64 characters: letters, digits, spaces and ! # $ % & ( ) + , . : ; < = > ? @ [ ] ^ _ { | } ~ -";
const NOT_LOGGED_IN = "You are not logged in: log in again.";

/** Sentences by operation and code (spec §4.1–§4.16). */
const SENTENCES: Record<Operation, Record<number, string>> = {
  createInstance: { 1: "An App ID is 32 letters and digits." },
  login: {
    1: "The server could not log you in. Try again.",
    2: "The server refused the login.",
    3: `That user id is not valid. A user id is ${ID_RULE}, and not "null".`,
    4: "This server does not know that App ID.",
    5: "The token is not valid for this App ID and user id (or this App ID needs a token).",
    6: "The token has expired: ask your app server for a new one.",
    7: "This user may not log in.",
    8: "Already logged in or logging in.",
    9: "The server did not answer in time. Is it running?",
    10: "Logging in too often: wait a second and try again.",
    201: "Logged out while logging in.",
  },
  logout: { 102: "You are already logged out." },
  peerMessage: {
    2: "The server did not answer in time.",
    5: "Too many messages: at most 180 in 3 seconds.",
    6: `That is not a user id. A user id is ${ID_RULE}.`,
    7: "The message is empty, too large (32 KB at most) or not valid.",
    102: NOT_LOGGED_IN,
  },
  createChannel: { 1: `A channel name is ${ID_RULE}.` },
  join: {
    4: "The server did not answer in time.",
    5: "You are in 20 channels already: leave one first.",
    6: "You are already in this channel.",
    7: "Joining too often: wait a few seconds.",
    8: "Joined this channel twice in 5 seconds: wait a moment.",
    102: NOT_LOGGED_IN,
    201: "Left the channel while joining it.",
    202: "You are already in this channel.",
  },
  leave: { 3: "You are not in that channel.", 102: NOT_LOGGED_IN },
  channelMessage: {
    2: "The server did not answer in time.",
    3: "Too many messages: at most 180 in 3 seconds.",
    4: "The message is empty, too large (32 KB at most) or not valid.",
    5: "Join the channel first.",
    102: NOT_LOGGED_IN,
  },
  getMembers: {
    3: "The server did not answer in time.",
    4: "Asked for the member list too often.",
    5: "Join the channel first.",
    102: NOT_LOGGED_IN,
  },
  subscribe: {
    2: `That is not a user id. A user id is ${ID_RULE}.`,
    4: "The server did not answer in time.",
    5: "Following and unfollowing too often: wait a few seconds.",
    6: "You follow 512 people already.",
    102: NOT_LOGGED_IN,
  },
  unsubscribe: {
    2: "That is not a user id.",
    4: "The server did not answer in time.",
    5: "Following and unfollowing too often: wait a few seconds.",
    102: NOT_LOGGED_IN,
  },
  invitation: {
    1: `That is not a user id to call. A user id is ${ID_RULE}.`,
    2: "The call has not started.",
    3: "The call is over already.",
    4: "The call is being accepted already.",
    5: "The call was sent already.",
  },
  upload: {
    1: "The upload failed. Try again.",
    2: "The file is empty, or its name and description are too long.",
    3: "The upload stalled for 2 minutes.",
    4: "The file is larger than the server allows (30 MB).",
    5: "Too many transfers at once: wait for one to finish.",
    6: "The upload was cancelled.",
    102: NOT_LOGGED_IN,
  },
  download: {
    1: "The download failed. Try again.",
    2: "That is not a media id.",
    3: "The download stalled for 2 minutes.",
    4: "The file is gone: media are kept 7 days.",
    5: "Too many transfers at once: wait for one to finish.",
    6: "The download was cancelled.",
    102: NOT_LOGGED_IN,
  },
};

/** Show `error`, which `operation` threw or rejected with. */
export function showError(operation: Operation, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  const sentence =
    (typeof code === "number" ? SENTENCES[operation][code] : undefined) ?? e.message;
  const card = h(
    "div",
    { className: "error", testid: "error", data: { name: e.name, code: String(code ?? "") } },
    h("div", { className: "what", text: TITLES[operation] }),
    h("div", {
      className: "code",
      testid: "error-code",
      text: typeof code === "number" ? `${e.name} · code ${code}` : e.name,
    }),
    h("div", { testid: "error-sentence", text: sentence }),
  );
  const close = h("button", { className: "close", text: "×", title: "Dismiss" });
  close.type = "button";
  close.addEventListener("click", () => card.remove());
  card.append(close);
  const list = byId("errors");
  list.append(card);
  // Keep the last few only; each goes by itself after a while.
  while (list.children.length > 4) list.firstElementChild?.remove();
  setTimeout(() => card.remove(), 12_000);
}

/** Run `action`, showing what it throws (sync or async) as an error of `operation`. */
export async function guard<T>(operation: Operation, action: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    showError(operation, error);
    return undefined;
  }
}

/** Show something the server did to the session (a kick), in the same place as errors. */
export function showNotice(title: string, sentence: string): void {
  const card = h(
    "div",
    { className: "error", testid: "notice" },
    h("div", { className: "what", text: title }),
    h("div", { text: sentence }),
  );
  byId("errors").append(card);
  setTimeout(() => card.remove(), 12_000);
}
