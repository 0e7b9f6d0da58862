/**
 * People: the users one follows, with a presence dot each (spec §1.2
 * `subscribePeersOnlineStatus` / `unsubscribePeersOnlineStatus`; §1.3
 * `PeersOnlineStatusChanged`, which tells the followed peers' states right after the
 * subscription and then every change), and the people one has talked with. A click opens the
 * conversation; the phone calls.
 */

import { byId, h, icon } from "./dom";
import { guard } from "./errors";
import type { Session } from "./sdk";
import type { Feature } from "./session";

interface Person {
  readonly item: HTMLLIElement;
  readonly dot: HTMLSpanElement;
  readonly unread: HTMLSpanElement;
  followed: boolean;
  count: number;
}

export class People implements Feature {
  private session: Session | null = null;
  private readonly people = new Map<string, Person>();
  private readonly input = byId<HTMLInputElement>("follow-id");
  private current: string | null = null;

  /** A click on a person: open the conversation. */
  onSelect: (uid: string) => void = () => {};
  /** A click on a person's phone. */
  onCall: (uid: string) => void = () => {};

  constructor() {
    byId("follow-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const uid = this.input.value;
      if (uid.trim()) void this.follow(uid);
    });
  }

  start(session: Session): void {
    this.session = session;
    session.client.on("PeersOnlineStatusChanged", (status: Record<string, string>) => {
      for (const [uid, state] of Object.entries(status)) {
        const person = this.people.get(uid);
        if (person?.followed) this.setPresence(person, state);
      }
    });
  }

  stop(): void {
    this.session = null;
    this.people.clear();
    this.current = null;
    this.render();
  }

  /** Someone one talks with: listed (unfollowed ones without a dot); `message` counts unread. */
  seen(uid: string, change: "opened" | "message"): void {
    const person = this.person(uid);
    if (change === "opened") {
      this.current = uid;
      person.count = 0;
    } else if (uid !== this.current) {
      person.count++;
    }
    person.unread.textContent = String(person.count);
    person.unread.hidden = person.count === 0;
    for (const [id, p] of this.people) p.item.classList.toggle("current", id === this.current);
  }

  private async follow(uid: string): Promise<void> {
    const session = this.session;
    if (session === null) return;
    // Followed before asking: the PeersOnlineStatusChanged with the peer's state may come
    // before the subscription's answer.
    const known = this.people.has(uid);
    const person = this.person(uid);
    const wasFollowed = person.followed;
    person.followed = true;
    const done = await guard("subscribe", async () => {
      await session.client.subscribePeersOnlineStatus([uid]);
      return true;
    });
    if (this.session !== session) return;
    if (!done) {
      person.followed = wasFollowed;
      if (!known) this.forget(uid);
      return;
    }
    this.input.value = "";
  }

  private forget(uid: string): void {
    this.people.delete(uid);
    this.render();
  }

  private async unfollow(uid: string): Promise<void> {
    const session = this.session;
    const person = this.people.get(uid);
    if (session === null || person === undefined) return;
    await guard("unsubscribe", () => session.client.unsubscribePeersOnlineStatus([uid]));
    person.followed = false;
    this.setPresence(person, "unknown");
  }

  private setPresence(person: Person, state: string): void {
    person.dot.dataset.presence = state;
    person.dot.title = state === "unknown" ? "not followed" : state.toLowerCase();
  }

  private person(uid: string): Person {
    const known = this.people.get(uid);
    if (known !== undefined) return known;
    const dot = h("span", { className: "presence", testid: "presence", data: { presence: "unknown" } });
    dot.title = "not followed";
    const unread = h("span", { className: "unread", testid: "unread" });
    unread.hidden = true;
    const call = h("button", { title: `Call ${uid}`, testid: "person-call" }, icon("phone"));
    const drop = h("button", { text: "×", title: "Unfollow", testid: "unfollow" });
    const item = h(
      "li",
      { className: "person", testid: "person", data: { uid } },
      dot,
      h("span", { className: "name", text: uid }),
      unread,
      call,
      drop,
    );
    const person: Person = { item, dot, unread, followed: false, count: 0 };
    item.addEventListener("click", () => this.onSelect(uid));
    call.addEventListener("click", (event) => {
      event.stopPropagation();
      this.onCall(uid);
    });
    drop.addEventListener("click", (event) => {
      event.stopPropagation();
      void this.unfollow(uid);
    });
    this.people.set(uid, person);
    this.render();
    return person;
  }

  private render(): void {
    byId("people").replaceChildren(...[...this.people.values()].map((p) => p.item));
    byId("people-empty").hidden = this.people.size > 0;
  }
}
