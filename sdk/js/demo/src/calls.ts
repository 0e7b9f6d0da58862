/**
 * Call invitations (spec §1.5): an outgoing call with Cancel, an incoming call with Accept and
 * Decline, and the outcome, shown on the call card and as a line in the conversation. What
 * the two would do once a call is accepted (start audio or video with Agora RTC, or anything
 * else) is the app's business: the invitation only says yes or no.
 */

import { byId, h } from "./dom";
import { guard } from "./errors";
import type { LocalInvitation, RemoteInvitation, Session } from "./sdk";
import type { Feature } from "./session";

/** Spec §1.5 `LocalInvitationFailureReason`, for people. */
const LOCAL_FAILURES: Record<string, string> = {
  PEER_OFFLINE: "is offline",
  PEER_NO_RESPONSE: "did not answer",
  INVITATION_EXPIRE: "did not pick up in time",
  NOT_LOGGEDIN: "could not be called: you are not logged in",
};

/** Spec §1.5 `RemoteInvitationFailureReason`, for people. */
const REMOTE_FAILURES: Record<string, string> = {
  PEER_OFFLINE: "went offline",
  ACCEPT_FAILURE: "did not confirm your answer",
  INVITATION_EXPIRE: "called too long ago: the call expired",
};

type Call = { kind: "out"; invitation: LocalInvitation } | { kind: "in"; invitation: RemoteInvitation };

export class Calls implements Feature {
  private call: Call | null = null;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private session: Session | null = null;

  /** A call with `peerId` ended with `outcome` (a sentence). */
  onOutcome: (peerId: string, outcome: string) => void = () => {};

  start(session: Session): void {
    this.session = session;
    session.client.on("RemoteInvitationReceived", (invitation: RemoteInvitation) => {
      this.incoming(invitation);
    });
  }

  stop(): void {
    this.call?.invitation.removeAllListeners();
    this.call = null;
    this.session = null;
    this.close();
  }

  /** Call `peerId`: an invitation, sent at once, cancellable until it is answered. */
  async dial(peerId: string): Promise<void> {
    const session = this.session;
    if (session === null || this.call !== null) return;
    const invitation = await guard("invitation", () => {
      const created = session.client.createLocalInvitation(peerId);
      created.content = `${session.uid} is calling`;
      return created;
    });
    if (invitation === undefined) return;
    const end = (outcome: string) => this.end(peerId, outcome);
    invitation.on("LocalInvitationReceivedByPeer", () => this.show(peerId, "Ringing…", "ringing"));
    invitation.on("LocalInvitationAccepted", () => end(`${peerId} accepted your call`));
    invitation.on("LocalInvitationRefused", (response: string) =>
      end(`${peerId} declined your call${response ? `: “${response}”` : ""}`),
    );
    invitation.on("LocalInvitationCanceled", () => end(`You cancelled the call to ${peerId}`));
    invitation.on("LocalInvitationFailure", (reason: string) =>
      end(`${peerId} ${LOCAL_FAILURES[reason] ?? `could not be called (${reason})`}`),
    );
    const sent = await guard("invitation", () => {
      invitation.send();
      return true;
    });
    if (!sent) return;
    this.call = { kind: "out", invitation };
    this.show(peerId, "Calling…", "calling", [
      this.button("Cancel", "danger", "call-cancel", () => {
        void guard("invitation", () => invitation.cancel());
      }),
    ]);
  }

  private incoming(invitation: RemoteInvitation): void {
    const peerId = invitation.callerId;
    if (this.call !== null) {
      // One call at a time: a second caller hears that this user is busy.
      invitation.response = "busy";
      void guard("invitation", () => invitation.refuse());
      this.onOutcome(peerId, `${peerId} called while you were busy`);
      return;
    }
    this.call = { kind: "in", invitation };
    const end = (outcome: string) => this.end(peerId, outcome);
    invitation.on("RemoteInvitationAccepted", () => end(`You accepted ${peerId}'s call`));
    invitation.on("RemoteInvitationRefused", () => end(`You declined ${peerId}'s call`));
    invitation.on("RemoteInvitationCanceled", () => end(`${peerId} hung up`));
    invitation.on("RemoteInvitationFailure", (reason: string) =>
      end(`The call failed: ${peerId} ${REMOTE_FAILURES[reason] ?? `(${reason})`}`),
    );
    this.show(peerId, "is calling you", "ringing", [
      this.button("Decline", "danger", "call-refuse", () => {
        void guard("invitation", () => invitation.refuse());
      }),
      this.button("Accept", "accept", "call-accept", () => {
        this.show(peerId, "Connecting…", "connecting");
        void guard("invitation", () => invitation.accept());
      }),
    ]);
  }

  private end(peerId: string, outcome: string): void {
    this.call?.invitation.removeAllListeners();
    this.call = null;
    this.show(peerId, outcome, "ended", [this.button("Close", "", "call-close", () => this.close())]);
    this.onOutcome(peerId, outcome);
    this.closeTimer = setTimeout(() => this.close(), 4_000);
  }

  /** The call card: who, what is happening, and the buttons for it. */
  private show(peerId: string, status: string, phase: string, actions?: HTMLButtonElement[]): void {
    clearTimeout(this.closeTimer);
    byId("call-layer").hidden = false;
    byId("call-card").dataset.phase = phase;
    byId("call-avatar").textContent = peerId.trim().charAt(0) || "?";
    byId("call-title").textContent = peerId;
    byId("call-status").textContent = status;
    if (actions !== undefined) byId("call-actions").replaceChildren(...actions);
  }

  private close(): void {
    clearTimeout(this.closeTimer);
    byId("call-layer").hidden = true;
    byId("call-actions").replaceChildren();
  }

  private button(label: string, className: string, testid: string, action: () => void): HTMLButtonElement {
    const button = h("button", { className, text: label, testid });
    button.type = "button";
    button.addEventListener("click", action);
    return button;
  }
}
