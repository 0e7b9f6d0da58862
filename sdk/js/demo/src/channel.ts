/**
 * Channel chat (spec §1.4): join by name, the member list (`getMembers`, then `MemberJoined` /
 * `MemberLeft`), the member count (`MemberCountUpdated`: the server's count, throttled to one a
 * second), channel messages (never echoed to the sender, so the sender shows its own).
 */

import { append, avatar, byId, clock, h } from "./dom";
import { guard, showError } from "./errors";
import { messageBody, Uploader } from "./media";
import type { AnyMessage, RtmChannel, Session } from "./sdk";
import type { Feature } from "./session";

export class ChannelPanel implements Feature {
  private session: Session | null = null;
  private channel: RtmChannel | null = null;
  private readonly members = new Set<string>();
  private readonly nameInput = byId<HTMLInputElement>("channel-id");
  private readonly list = byId<HTMLOListElement>("channel-messages");
  private readonly text = byId<HTMLInputElement>("channel-text");
  private readonly uploader: Uploader;

  constructor() {
    byId("channel-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.join();
    });
    byId("leave").addEventListener("click", () => void this.leave());
    byId("channel-composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.text.value;
      if (!text) return;
      this.text.value = "";
      void this.send({ text });
    });
    this.uploader = new Uploader(byId("channel-file"), byId("channel-upload"), (message, file) =>
      this.send(message, file),
    );
  }

  start(session: Session): void {
    this.session = session;
    this.uploader.start(session.client);
  }

  stop(): void {
    // Logging out leaves every channel (spec §1.2): nothing to ask the server.
    this.channel?.removeAllListeners();
    this.channel = null;
    this.session = null;
    this.uploader.stop();
    this.reset();
  }

  private async join(): Promise<void> {
    const session = this.session;
    if (session === null || this.channel !== null) return;
    const name = this.nameInput.value;
    const channel = await guard("createChannel", () => session.client.createChannel(name));
    if (channel === undefined) return;
    channel.on("MemberJoined", (memberId: string) => {
      this.addMember(memberId);
      this.note(`${memberId} joined`);
    });
    channel.on("MemberLeft", (memberId: string) => {
      this.members.delete(memberId);
      this.renderMembers();
      this.note(`${memberId} left`);
    });
    channel.on("MemberCountUpdated", (count: number) => {
      byId("member-count").textContent = String(count);
    });
    channel.on(
      "ChannelMessage",
      (message: AnyMessage, memberId: string, props: { serverReceivedTs: number }) => {
        append(this.list, this.line("in", memberId, message, clock(props.serverReceivedTs)));
      },
    );
    this.channel = channel;
    this.setJoined(null);
    try {
      await channel.join();
    } catch (error) {
      channel.removeAllListeners();
      this.channel = null;
      this.reset();
      showError("join", error);
      return;
    }
    this.setJoined(channel.channelId);
    this.note(`You joined ${channel.channelId}`);
    const members = await guard("getMembers", () => channel.getMembers());
    for (const member of members ?? []) this.addMember(member);
  }

  private async leave(): Promise<void> {
    const channel = this.channel;
    if (channel === null) return;
    await guard("leave", () => channel.leave());
    channel.removeAllListeners();
    this.channel = null;
    this.reset();
  }

  private async send(message: AnyMessage, localFile?: Blob): Promise<boolean> {
    const { channel, session } = this;
    if (channel === null || session === null) return false;
    const line = this.line("out", session.uid, message, clock(Date.now()), localFile);
    append(this.list, line);
    try {
      await channel.sendMessage(message);
      return true;
    } catch (error) {
      line.querySelector(".meta")?.append(h("span", { className: "tick", text: "not sent", data: { tick: "failed" } }));
      showError("channelMessage", error);
      return false;
    }
  }

  private addMember(memberId: string): void {
    this.members.add(memberId);
    this.renderMembers();
  }

  private renderMembers(): void {
    const self = this.session?.uid;
    const sorted = [...this.members].sort((a, b) => (a === self ? -1 : b === self ? 1 : a.localeCompare(b)));
    byId("members").replaceChildren(
      ...sorted.map((id) =>
        h(
          "li",
          { className: id === self ? "member self" : "member", testid: "member", data: { uid: id } },
          avatar(id),
          h("span", { className: "name", text: id }),
        ),
      ),
    );
  }

  private line(side: "in" | "out", from: string, message: AnyMessage, meta: string, localFile?: Blob): HTMLLIElement {
    const client = this.session?.client;
    return h(
      "li",
      { className: `msg ${side}`, testid: side === "in" ? "message-in" : "message-out", data: { from } },
      h("div", { className: "from", text: side === "in" ? from : "" }),
      h("div", { className: "bubble" }, client ? messageBody(client, message, localFile) : h("span")),
      h("div", { className: "meta" }, h("span", { text: meta })),
    );
  }

  private note(text: string): void {
    append(this.list, h("li", { className: "msg system" }, h("div", { className: "bubble", text })));
  }

  /** Joined `channelId`, joining (null), or neither (reset). */
  private setJoined(channelId: string | null): void {
    const joined = channelId !== null;
    byId("channel-title").textContent = joined ? `# ${channelId}` : "Joining…";
    for (const id of ["channel-text", "channel-file", "channel-send", "leave"]) {
      (byId(id) as HTMLButtonElement).disabled = !joined;
    }
    for (const id of ["join", "channel-id"]) (byId(id) as HTMLButtonElement).disabled = true;
  }

  private reset(): void {
    this.members.clear();
    this.renderMembers();
    this.list.replaceChildren();
    byId("member-count").textContent = "–";
    byId("channel-title").textContent = "Not in a channel";
    for (const id of ["channel-text", "channel-file", "channel-send", "leave"]) {
      (byId(id) as HTMLButtonElement).disabled = true;
    }
    for (const id of ["join", "channel-id"]) (byId(id) as HTMLButtonElement).disabled = false;
  }
}
