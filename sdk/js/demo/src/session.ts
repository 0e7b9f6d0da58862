/**
 * Login and the connection: the sign-in form, `createInstance` + `login`, the connection state
 * shown at all times (spec §1.3 `ConnectionStateChanged`, §3), logout, and what a kick does.
 * The feature modules get the client before its login, so that nothing pushed right after it
 * (offline messages, spec §6.2) is missed.
 */

import { byId } from "./dom";
import { guard, showError, showNotice } from "./errors";
import { agoraRTM, type DemoClient, type Session } from "./sdk";

/** A feature of the app (chat, channel, people…): started per login, stopped after. */
export interface Feature {
  start(session: Session): void;
  stop(): void;
}

/** A well-formed App ID (spec §5.1) that a server in development mode accepts as is. */
export const DEMO_APP_ID = "openrtmDemoApp000000000000000000";
const APP_ID_KEY = "openrtm-demo:appId";

/** Why the server ended a session (spec §1.9 `ConnectionChangeReason`), for people. */
const KICKS: Record<string, string> = {
  REMOTE_LOGIN: "This user id logged in somewhere else.",
  TOKEN_EXPIRED: "The token expired: log in with a new one.",
  BANNED_BY_SERVER: "The server banned this user.",
  INTERRUPTED: "The connection ended and could not be resumed.",
};

export class SessionView {
  private session: Session | null = null;
  private readonly form = byId<HTMLFormElement>("login-form");
  private readonly appId = byId<HTMLInputElement>("app-id");
  private readonly uid = byId<HTMLInputElement>("uid");
  private readonly token = byId<HTMLInputElement>("token");

  constructor(private readonly features: readonly Feature[]) {
    // Prefilled: ?appId=…&uid=… in the URL, else the last App ID used here, else the demo's;
    // a fresh guest id, so that a second window is a second user.
    const query = new URLSearchParams(location.search);
    this.appId.value = query.get("appId") ?? localStorage.getItem(APP_ID_KEY) ?? DEMO_APP_ID;
    this.uid.value = query.get("uid") ?? `guest-${Math.floor(1000 + Math.random() * 9000)}`;
    this.token.value = query.get("token") ?? "";
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.login();
    });
    byId("logout").addEventListener("click", () => void this.logout());
  }

  private async login(): Promise<void> {
    const appId = this.appId.value.trim();
    const uid = this.uid.value;
    const token = this.token.value.trim();
    const client = (await guard("createInstance", () => agoraRTM().createInstance(appId))) as
      | DemoClient
      | undefined;
    if (client === undefined) return;
    client.on("ConnectionStateChanged", (state: string, reason: string) => {
      this.showState(state, reason);
      if (client !== this.session?.client) return;
      if (state === "ABORTED") {
        showNotice(`Disconnected (${reason})`, KICKS[reason] ?? "The server ended the session.");
        this.end();
      } else if (state === "DISCONNECTED") {
        this.end();
      }
    });
    const session: Session = { client, uid };
    for (const feature of this.features) feature.start(session);
    this.setBusy(true);
    try {
      await client.login(token ? { uid, token } : { uid });
      localStorage.setItem(APP_ID_KEY, appId);
      this.session = session;
      this.showApp(uid);
    } catch (error) {
      showError("login", error);
      for (const feature of this.features) feature.stop();
      client.removeAllListeners();
    } finally {
      this.setBusy(false);
    }
  }

  private async logout(): Promise<void> {
    const session = this.session;
    if (session === null) return;
    // The DISCONNECTED / LOGOUT that follows ends the session (see login()).
    await guard("logout", () => session.client.logout());
  }

  /** Back to the sign-in form; the client is dropped (a new login makes a new one). */
  private end(): void {
    const session = this.session;
    if (session === null) return;
    this.session = null;
    for (const feature of this.features) feature.stop();
    session.client.removeAllListeners();
    byId("app-view").hidden = true;
    byId("me").hidden = true;
    byId("login-view").hidden = false;
  }

  private showApp(uid: string): void {
    byId("login-view").hidden = true;
    byId("app-view").hidden = false;
    byId("me").hidden = false;
    byId("me-uid").textContent = uid;
    byId("me-avatar").textContent = uid.trim().charAt(0) || "?";
  }

  /** Spec §3.1: the state and the reason of its last change, always on screen. */
  private showState(state: string, reason: string): void {
    byId("connection").dataset.state = state;
    byId("connection-state").textContent = state;
    byId("connection-reason").textContent = reason;
  }

  private setBusy(busy: boolean): void {
    for (const element of this.form.elements) (element as HTMLInputElement).disabled = busy;
  }
}
