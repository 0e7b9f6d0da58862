/**
 * One-to-one chat (spec §1.2 `sendMessageToPeer`, §1.3 `MessageFromPeer`): a conversation per
 * peer, the open one shown. A sent message gets its tick from the SDK's answer (spec §6.1):
 * ✓✓ "delivered" once the peer's SDK has it (`hasPeerReceived`), ✓ "sent" when the server
 * took it but the peer is offline.
 */

import { append, byId, clock, h } from "./dom";
import { showError } from "./errors";
import { messageBody, Uploader } from "./media";
import type { AnyMessage, Session } from "./sdk";
import type { Feature } from "./session";

export class PeerChat implements Feature {
  private session: Session | null = null;
  /** The rendered lines of each conversation, by peer id. */
  private readonly conversations = new Map<string, HTMLLIElement[]>();
  private current: string | null = null;
  private readonly list = byId<HTMLOListElement>("peer-messages");
  private readonly peerInput = byId<HTMLInputElement>("peer-id");
  private readonly text = byId<HTMLInputElement>("peer-text");
  private readonly uploader: Uploader;

  /** Told when a conversation opens (`opened`) or a message arrives from a peer. */
  onPeer: (peerId: string, change: "opened" | "message") => void = () => {};

  constructor() {
    byId("peer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const peer = this.peerInput.value;
      if (peer.trim()) this.open(peer);
    });
    byId("peer-composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.text.value;
      if (!text || this.current === null) return;
      this.text.value = "";
      void this.send(this.current, { text });
    });
    this.uploader = new Uploader(byId("peer-file"), byId("peer-upload"), (message, file) =>
      this.current === null ? Promise.resolve(false) : this.send(this.current, message, file),
    );
  }

  get peer(): string | null {
    return this.current;
  }

  start(session: Session): void {
    this.session = session;
    this.uploader.start(session.client);
    session.client.on(
      "MessageFromPeer",
      (message: AnyMessage, peerId: string, props: { serverReceivedTs: number; isOfflineMessage: boolean }) => {
        const note = props.isOfflineMessage ? " · while you were away" : "";
        const line = this.line("in", peerId, message, `${clock(props.serverReceivedTs)}${note}`);
        this.add(peerId, line);
        if (this.current === null) this.open(peerId);
        this.onPeer(peerId, "message");
      },
    );
    this.open(null);
  }

  stop(): void {
    this.session = null;
    this.uploader.stop();
    this.conversations.clear();
    this.current = null;
    this.list.replaceChildren();
  }

  /** Show the conversation with `peerId` (null: none yet). */
  open(peerId: string | null): void {
    this.current = peerId;
    this.peerInput.value = peerId ?? "";
    byId("peer-title").textContent = peerId === null ? "Direct messages" : `Chat with ${peerId}`;
    this.list.replaceChildren(...(peerId === null ? [] : (this.conversations.get(peerId) ?? [])));
    this.list.scrollTop = this.list.scrollHeight;
    for (const id of ["peer-text", "peer-file", "call"]) {
      (byId(id) as HTMLInputElement).disabled = peerId === null;
    }
    if (peerId !== null) this.onPeer(peerId, "opened");
  }

  /** A line in a conversation that is neither side's message (a call's outcome). */
  system(peerId: string, text: string): void {
    const line = h("li", { className: "msg system", testid: "system-line" }, h("div", { className: "bubble", text }));
    this.add(peerId, line);
  }

  /** Send `message` to `peerId` and show it with its tick; false when it was not sent. */
  private async send(peerId: string, message: AnyMessage, localFile?: Blob): Promise<boolean> {
    const session = this.session;
    if (session === null) return false;
    const tick = h("span", { className: "tick", testid: "tick", text: "sending…", data: { tick: "sending" } });
    const line = this.line("out", session.uid, message, clock(Date.now()), localFile);
    line.querySelector(".meta")?.append(tick);
    this.add(peerId, line);
    try {
      const { hasPeerReceived } = await session.client.sendMessageToPeer(message, peerId);
      tick.dataset.tick = hasPeerReceived ? "delivered" : "sent";
      tick.textContent = hasPeerReceived ? "✓✓ delivered" : "✓ sent";
      tick.title = hasPeerReceived ? `${peerId} has it` : `${peerId} is offline`;
      return true;
    } catch (error) {
      tick.dataset.tick = "failed";
      tick.textContent = "not sent";
      showError("peerMessage", error);
      return false;
    }
  }

  private line(
    side: "in" | "out",
    from: string,
    message: AnyMessage,
    meta: string,
    localFile?: Blob,
  ): HTMLLIElement {
    const client = this.session?.client;
    const body = client ? messageBody(client, message, localFile) : h("span");
    return h(
      "li",
      { className: `msg ${side}`, testid: side === "in" ? "message-in" : "message-out", data: { from } },
      h("div", { className: "bubble" }, body),
      h("div", { className: "meta" }, h("span", { text: meta })),
    );
  }

  private add(peerId: string, line: HTMLLIElement): void {
    let lines = this.conversations.get(peerId);
    if (lines === undefined) {
      lines = [];
      this.conversations.set(peerId, lines);
    }
    lines.push(line);
    if (peerId === this.current) append(this.list, line);
  }
}
