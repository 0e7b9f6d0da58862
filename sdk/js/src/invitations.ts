/**
 * Call invitations (spec §1.5, §4.14; protocol §3.21, §9 items 17–21): `LocalInvitation`,
 * `RemoteInvitation`, and `Invitations`, which keeps the open ones of a client, as the
 * Python SDK does (src/openrtm/client/invitation.py).
 *
 * The API calls are synchronous, as in the Web SDK: they check the state and the arguments
 * (spec §4.14 codes), move the invitation on, and leave the rest to a background request.
 * Every outcome arrives as an event on the invitation. The server runs every timer (30 s to
 * reach the callee, 60 s to answer, 5 s to confirm an acceptance) and pushes every change;
 * the SDK runs none of its own. When the login session ends (logout, a kick, a re-login that
 * could not resume it) its open invitations end too: a caller's with
 * `LocalInvitationFailure("NOT_LOGGEDIN")`, a callee's with `RemoteInvitationFailure("UNKNOWN")`.
 */

import type { Connection, ServerFrame } from "./connection";
import { EventEmitter } from "./emitter";
import {
  LocalInvitationFailureReason,
  LocalInvitationState,
  RemoteInvitationFailureReason,
  RemoteInvitationState,
} from "./enums";
import { rtmError, type RtmError } from "./errors";
import {
  InvitationApiCallError,
  LOCAL_CALL_ERRORS,
  LOCAL_ENDED,
  LOCAL_EVENTS,
  LOCAL_TRANSITIONS,
  REMOTE_CALL_ERRORS,
  REMOTE_ENDED,
  REMOTE_EVENTS,
  REMOTE_TRANSITIONS,
  type CallErrors,
  type Events,
  type Transitions,
} from "./invitation-states";
import { isValidUserId, utf8Size } from "./limits";

const E = InvitationApiCallError;
/** Spec §1.5: content and response are at most 8 KB of UTF-8. */
const MAX_TEXT_BYTES = 8 * 1024;
/** Spec §4.17: the Web SDK's general request timeout. */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * How often a request is sent while its answer is lost with the link (protocol §9 item 20:
 * the server takes a repeated `call_invite` of an open invitation once).
 */
const ATTEMPTS = 3;
/** The SDK's own code for a request the server did not answer (never raised to the app). */
const UNANSWERED = 0;

/** The pushes of protocol §3.21, routed here by the client. */
export const INVITATION_PUSHES: ReadonlySet<string> = new Set([
  "call_invite",
  "call_local",
  "call_remote",
]);

/** What the invitations need of the client, without widening its public face. */
export interface InvitationHost {
  /** The logged-in connection while CONNECTED (and not logging out), else null. */
  connection(): Connection | null;
  /** RECONNECTING with the session kept (and not logging out). */
  reconnecting(): boolean;
  /** The connection once a reconnection ends CONNECTED, or null (otherwise, or too late). */
  whenReconnected(timeoutMs: number): Promise<Connection | null>;
  /** The login session (protocol §3.1): a re-login that could not resume it changes it. */
  session(): string | null;
  /** Emit an event, shielded from listeners that throw. */
  fire(target: EventEmitter, event: string, ...args: unknown[]): void;
  /** The client, which emits `RemoteInvitationReceived`. */
  readonly client: EventEmitter;
}

function invalid(message: string): RtmError {
  return rtmError(E.INVALID_ARGUMENT, "RtmInvalidArgumentError", message);
}

/** Spec §4.14: writing a read-only field is INVALID_ARGUMENT. */
function readOnly(field: string): never {
  throw invalid(`${field} is read-only`);
}

/** Why a content or response (and a channel id) is invalid, or null (spec §1.5, §5.1). */
function textError(text: unknown, channelId: unknown = ""): string | null {
  if (typeof text !== "string" || typeof channelId !== "string") return "not a string";
  if (text.length * 3 > MAX_TEXT_BYTES && utf8Size(text) > MAX_TEXT_BYTES) return "over 8 KB";
  if (channelId !== "" && !isValidUserId(channelId)) return "invalid channel id";
  return null;
}

/**
 * What both invitations share: a state moved along a table, an event per state reached, and
 * API calls refused by state (spec §1.5, §4.14; the tables are in invitation-states.ts).
 */
abstract class Lifecycle<S extends string> extends EventEmitter {
  protected abstract state_: S;

  constructor(
    protected readonly calls: Invitations,
    private readonly transitions: Transitions<S>,
    private readonly events: Events<S>,
    private readonly callErrors: CallErrors<S>,
  ) {
    super();
  }

  protected check(call: string): void {
    const code = this.callErrors[call]?.[this.state_];
    if (code !== undefined) {
      const message = `cannot ${call} an invitation in state ${this.state_}`;
      throw rtmError(code, "RtmInvalidStatusError", message);
    }
  }

  /** Move to `state` if the table allows it, and emit its event; false when it does not. */
  reach(state: S, ...args: unknown[]): boolean {
    if (!this.transitions[this.state_]?.includes(state)) return false;
    this.state_ = state;
    const event = this.events[state];
    if (event !== undefined) this.calls.host.fire(this, event, ...args);
    return true;
  }
}

/**
 * An invitation this client sends (spec §1.5), made by `client.createLocalInvitation`.
 * Events: `LocalInvitationReceivedByPeer()`, `LocalInvitationAccepted(response)`,
 * `LocalInvitationRefused(response)`, `LocalInvitationCanceled()`,
 * `LocalInvitationFailure(reason)`.
 */
export class LocalInvitation extends Lifecycle<LocalInvitationState> {
  protected state_: LocalInvitationState = LocalInvitationState.IDLE;
  /** What to tell the callee: at most 8 KB of UTF-8, checked by `send()`. */
  content = "";
  /** A channel id for legacy Signaling interop; nobody joins it (checked by `send()`). */
  channelId = "";
  private response_ = "";
  /** Protocol §3.21: the caller's name for this invitation, new for every one. */
  readonly call = randomHex(16);

  constructor(
    calls: Invitations,
    private readonly calleeId_: string,
  ) {
    super(calls, LOCAL_TRANSITIONS, LOCAL_EVENTS, LOCAL_CALL_ERRORS);
  }

  /** The invited user. */
  get calleeId(): string {
    return this.calleeId_;
  }
  set calleeId(_: string) {
    readOnly("calleeId");
  }

  /** The callee's response, once it accepted or refused. */
  get response(): string {
    return this.response_;
  }
  set response(_: string) {
    readOnly("response");
  }

  get state(): LocalInvitationState {
    return this.state_;
  }
  set state(_: LocalInvitationState) {
    readOnly("state");
  }

  /**
   * Send the invitation. Throws code 5 when already sent, 3 when ended (`RtmInvalidStatusError`),
   * 1 for a content over 8 KB or an invalid channel id (`RtmInvalidArgumentError`). Not
   * logged in is `LocalInvitationFailure("NOT_LOGGEDIN")`, as in the Web SDK.
   */
  send(): void {
    this.check("send");
    const problem = textError(this.content, this.channelId);
    if (problem !== null) throw invalid(`invalid invitation: ${problem}`);
    this.calls.send(this);
  }

  /** Cancel the sent invitation; `LocalInvitationCanceled` follows. Throws 2 not sent, 3 ended. */
  cancel(): void {
    this.check("cancel");
    this.calls.cancel(this);
  }

  reach(state: LocalInvitationState, ...args: unknown[]): boolean {
    const answered =
      state === LocalInvitationState.ACCEPTED_BY_REMOTE ||
      state === LocalInvitationState.REFUSED_BY_REMOTE;
    if (answered && LOCAL_TRANSITIONS[this.state_]?.includes(state)) {
      this.response_ = String(args[0] ?? ""); // set before the event tells the app
    }
    return super.reach(state, ...args);
  }
}

/**
 * An invitation this client received (`RemoteInvitationReceived`, spec §1.5).
 * Events: `RemoteInvitationAccepted()`, `RemoteInvitationRefused()`,
 * `RemoteInvitationCanceled(content)`, `RemoteInvitationFailure(reason)`.
 */
export class RemoteInvitation extends Lifecycle<RemoteInvitationState> {
  protected state_: RemoteInvitationState = RemoteInvitationState.INVITATION_RECEIVED;
  /** What to tell the caller with `accept()` or `refuse()`: at most 8 KB of UTF-8. */
  response = "";

  constructor(
    calls: Invitations,
    private readonly callerId_: string,
    /** The caller's call id (protocol §3.21). */
    readonly call: string,
    private readonly content_: string,
    private readonly channelId_: string,
  ) {
    super(calls, REMOTE_TRANSITIONS, REMOTE_EVENTS, REMOTE_CALL_ERRORS);
  }

  /** The user who sent the invitation. */
  get callerId(): string {
    return this.callerId_;
  }
  set callerId(_: string) {
    readOnly("callerId");
  }

  /** What the caller said. */
  get content(): string {
    return this.content_;
  }
  set content(_: string) {
    readOnly("content");
  }

  /** The caller's channel id, if it set one (legacy Signaling interop). */
  get channelId(): string {
    return this.channelId_;
  }
  set channelId(_: string) {
    readOnly("channelId");
  }

  get state(): RemoteInvitationState {
    return this.state_;
  }
  set state(_: RemoteInvitationState) {
    readOnly("state");
  }

  /**
   * Accept; `RemoteInvitationAccepted` follows once the caller's SDK confirms it. Throws 4
   * while accepting, 3 when ended, 1 for a response over 8 KB.
   */
  accept(): void {
    this.checkAnswer("accept");
    this.calls.answer(this, true);
  }

  /** Refuse; `RemoteInvitationRefused` follows once the server has it. Throws 4, 3, 1. */
  refuse(): void {
    this.checkAnswer("refuse");
    this.calls.answer(this, false);
  }

  private checkAnswer(call: string): void {
    this.check(call);
    const problem = textError(this.response);
    if (problem !== null) throw invalid(`invalid response: ${problem}`);
  }
}

/** The open invitations of one client, sent and received (protocol §3.21). */
export class Invitations {
  /** Sent ones, by call id; received ones, by (caller, call id). */
  private readonly local = new Map<string, LocalInvitation>();
  private readonly remote = new Map<string, RemoteInvitation>();

  constructor(readonly host: InvitationHost) {}

  /** `createLocalInvitation`: code 1 for an invalid callee id (spec §1.2, §5.1). */
  create(calleeId: string): LocalInvitation {
    if (!isValidUserId(calleeId)) throw invalid("invalid callee id");
    return new LocalInvitation(this, calleeId);
  }

  // --- API calls -------------------------------------------------------------------------

  send(invitation: LocalInvitation): void {
    if (this.host.connection() === null && !this.host.reconnecting()) {
      // Reported as an event once the caller has returned, as the Web SDK does.
      const reason = LocalInvitationFailureReason.NOT_LOGGEDIN;
      setTimeout(() => invitation.reach(LocalInvitationState.FAILURE, reason));
      return;
    }
    invitation.reach(LocalInvitationState.SENT_TO_REMOTE);
    this.local.set(invitation.call, invitation);
    const fields = {
      call: invitation.call,
      to: invitation.calleeId,
      content: invitation.content,
      channel: invitation.channelId,
    };
    this.request("call_invite", fields).catch((error: RtmError) => {
      // Protocol §9 item 18: 102 is NOT_LOGGEDIN, any other refusal UNKNOWN.
      const reason =
        error.code === E.NOT_LOGGED_IN
          ? LocalInvitationFailureReason.NOT_LOGGEDIN
          : LocalInvitationFailureReason.UNKNOWN;
      this.localReached(invitation, LocalInvitationState.FAILURE, reason);
    });
  }

  cancel(invitation: LocalInvitation): void {
    this.request("call_cancel", { call: invitation.call }).then(
      () => this.localReached(invitation, LocalInvitationState.CANCELED),
      () => {
        // Ended on the server first (answered, expired): its push says how (protocol §3.21).
      },
    );
  }

  answer(invitation: RemoteInvitation, accept: boolean): void {
    if (accept) invitation.reach(RemoteInvitationState.ACCEPT_SENT_TO_LOCAL);
    const fields = {
      caller: invitation.callerId,
      call: invitation.call,
      accept,
      response: invitation.response,
    };
    this.request("call_answer", fields).then(
      () => {
        if (!accept) this.remoteReached(invitation, RemoteInvitationState.REFUSED);
      },
      () => {
        // Usually a push ended it already (cancelled, expired) and this changes nothing;
        // otherwise the answer could not be delivered.
        const reason = accept
          ? RemoteInvitationFailureReason.ACCEPT_FAILURE
          : RemoteInvitationFailureReason.UNKNOWN;
        this.remoteReached(invitation, RemoteInvitationState.FAILURE, reason);
      },
    );
  }

  /**
   * One request of this login session: waits out a reconnection (spec §1.2), is sent again
   * when its answer was lost with the link (resumed on the same session), and is never sent
   * on a new session, which does not hold the invitation (protocol §9 items 20, 21).
   */
  private async request(op: string, fields: Record<string, unknown>): Promise<void> {
    const session = this.host.session();
    for (let attempt = 1; ; attempt++) {
      let conn = this.host.connection();
      if (conn === null && this.host.reconnecting()) {
        conn = await this.host.whenReconnected(REQUEST_TIMEOUT_MS);
        if (conn === null && this.host.reconnecting()) {
          throw rtmError(UNANSWERED, "RtmTimeoutError", "still reconnecting");
        }
      }
      if (conn === null || this.host.session() !== session) {
        throw rtmError(E.NOT_LOGGED_IN, "RtmInvalidStatusError", "the login session ended");
      }
      try {
        await conn.request(op, fields, REQUEST_TIMEOUT_MS, UNANSWERED);
        return;
      } catch (error) {
        const unanswered = (error as RtmError).serverCode === undefined;
        if (!unanswered || attempt === ATTEMPTS) throw error;
      }
    }
  }

  // --- pushes ----------------------------------------------------------------------------

  /**
   * A push of protocol §3.21, acknowledged on the connection it came on (which may not be
   * the client's yet, right behind a login reply: protocol §9 item 8).
   */
  onPush(frame: ServerFrame, conn: Connection): void {
    const call = String(frame.call ?? "");
    if (frame.t === "call_invite") {
      const caller = String(frame.from ?? "");
      try {
        const key = JSON.stringify([caller, call]);
        if (!this.remote.has(key)) {
          // Offered again: acknowledged every time, shown once (protocol §9 item 19).
          const content = String(frame.content ?? "");
          const channel = String(frame.channel ?? "");
          const invitation = new RemoteInvitation(this, caller, call, content, channel);
          this.remote.set(key, invitation);
          this.host.fire(this.host.client, "RemoteInvitationReceived", invitation);
        }
      } finally {
        conn.send({ op: "call_received", caller, call });
      }
    } else if (frame.t === "call_local") {
      const invitation = this.local.get(call);
      const state = frame.state as LocalInvitationState;
      if (invitation === undefined) return;
      const args =
        state === LocalInvitationState.FAILURE
          ? [String(frame.reason ?? LocalInvitationFailureReason.UNKNOWN)]
          : state === LocalInvitationState.RECEIVED_BY_REMOTE
            ? []
            : [String(frame.response ?? "")];
      const reached = this.localReached(invitation, state, ...args);
      if (reached && state === LocalInvitationState.ACCEPTED_BY_REMOTE) {
        conn.send({ op: "call_accepted", call }); // spec §1.5: the caller confirms, after the event
      }
    } else if (frame.t === "call_remote") {
      const invitation = this.remote.get(JSON.stringify([String(frame.from ?? ""), call]));
      if (invitation === undefined) return;
      const state = frame.state as RemoteInvitationState;
      const args =
        state === RemoteInvitationState.CANCELED
          ? [invitation.content]
          : state === RemoteInvitationState.FAILURE
            ? [String(frame.reason ?? RemoteInvitationFailureReason.UNKNOWN)]
            : [];
      this.remoteReached(invitation, state, ...args);
    }
  }

  /** The login session ended: every open invitation ends with it (protocol §9 item 21). */
  sessionOver(): void {
    for (const invitation of [...this.local.values()]) {
      const reason = LocalInvitationFailureReason.NOT_LOGGEDIN;
      this.localReached(invitation, LocalInvitationState.FAILURE, reason);
    }
    for (const invitation of [...this.remote.values()]) {
      const reason = RemoteInvitationFailureReason.UNKNOWN;
      this.remoteReached(invitation, RemoteInvitationState.FAILURE, reason);
    }
  }

  private localReached(
    invitation: LocalInvitation,
    state: LocalInvitationState,
    ...args: unknown[]
  ): boolean {
    const reached = invitation.reach(state, ...args);
    if (LOCAL_ENDED.has(state) && this.local.get(invitation.call) === invitation) {
      this.local.delete(invitation.call);
    }
    return reached;
  }

  private remoteReached(
    invitation: RemoteInvitation,
    state: RemoteInvitationState,
    ...args: unknown[]
  ): boolean {
    const reached = invitation.reach(state, ...args);
    const key = JSON.stringify([invitation.callerId, invitation.call]);
    if (REMOTE_ENDED.has(state) && this.remote.get(key) === invitation) this.remote.delete(key);
    return reached;
  }
}

function randomHex(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
