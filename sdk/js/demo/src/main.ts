/**
 * The openrtm demo app: an Agora RTM 1.x Web app (spec §1) on openrtm's browser SDK, served at
 * the HTTP face's `/`. Each module owns one part of the page; this one wires them together.
 */

import { byId } from "./dom";
import { Calls } from "./calls";
import { ChannelPanel } from "./channel";
import { PeerChat } from "./peer-chat";
import { People } from "./people";
import { SessionView } from "./session";

const people = new People();
const chat = new PeerChat();
const channel = new ChannelPanel();
const calls = new Calls();

people.onSelect = (uid) => chat.open(uid);
people.onCall = (uid) => void calls.dial(uid);
chat.onPeer = (uid, change) => people.seen(uid, change);
calls.onOutcome = (uid, outcome) => chat.system(uid, outcome);
byId("call").addEventListener("click", () => {
  if (chat.peer !== null) void calls.dial(chat.peer);
});

new SessionView([people, chat, channel, calls]);
