"use strict";
var AgoraRTM = (() => {
  var __defProp = Object.defineProperty;
  var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
  var __getOwnPropNames = Object.getOwnPropertyNames;
  var __hasOwnProp = Object.prototype.hasOwnProperty;
  var __export = (target, all) => {
    for (var name in all)
      __defProp(target, name, { get: all[name], enumerable: true });
  };
  var __copyProps = (to, from, except, desc) => {
    if (from && typeof from === "object" || typeof from === "function") {
      for (let key of __getOwnPropNames(from))
        if (!__hasOwnProp.call(to, key) && key !== except)
          __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
    }
    return to;
  };
  var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

  // src/index.ts
  var index_exports = {};
  __export(index_exports, {
    default: () => index_default
  });

  // src/emitter.ts
  var EventEmitter = class {
    constructor() {
      this.events_ = /* @__PURE__ */ new Map();
    }
    on(event, listener) {
      return this.add_(event, listener, false);
    }
    addListener(event, listener) {
      return this.add_(event, listener, false);
    }
    once(event, listener) {
      return this.add_(event, listener, true);
    }
    /** Remove the most recently added registration of `listener` (Node's order). */
    off(event, listener) {
      const entries = this.events_.get(event);
      if (entries) {
        for (let i = entries.length - 1; i >= 0; i--) {
          if (entries[i].listener === listener) {
            entries.splice(i, 1);
            break;
          }
        }
        if (entries.length === 0) this.events_.delete(event);
      }
      return this;
    }
    removeListener(event, listener) {
      return this.off(event, listener);
    }
    removeAllListeners(event) {
      if (event === void 0) this.events_.clear();
      else this.events_.delete(event);
      return this;
    }
    listeners(event) {
      return (this.events_.get(event) ?? []).map((e) => e.listener);
    }
    listenerCount(event) {
      return this.events_.get(event)?.length ?? 0;
    }
    /** Call the listeners of `event` in order; returns whether there were any. */
    emit(event, ...args) {
      const entries = this.events_.get(event);
      if (!entries || entries.length === 0) return false;
      for (const entry of [...entries]) {
        if (entry.once) this.remove_(event, entry);
        entry.listener(...args);
      }
      return true;
    }
    remove_(event, entry) {
      const entries = this.events_.get(event);
      const i = entries ? entries.indexOf(entry) : -1;
      if (entries && i >= 0) {
        entries.splice(i, 1);
        if (entries.length === 0) this.events_.delete(event);
      }
    }
    add_(event, listener, once) {
      if (typeof listener !== "function") throw new TypeError("listener must be a function");
      const entries = this.events_.get(event);
      if (entries) entries.push({ listener, once });
      else this.events_.set(event, [{ listener, once }]);
      return this;
    }
  };

  // src/errors.ts
  function rtmError(code, name, message) {
    const error = new Error(message);
    error.name = name;
    error.code = code;
    return error;
  }
  var LoginError = {
    UNKNOWN: 1,
    INVALID_ARGUMENT: 3,
    ALREADY_LOGIN: 8,
    TIMEOUT: 9,
    TOO_OFTEN: 10,
    ABORTED_BY_LOGOUT: 201
  };
  var LogoutError = { USER_NOT_LOGGED_IN: 102 };
  var PeerMessageError = {
    TIMEOUT: 2,
    TOO_OFTEN: 5,
    INVALID_USERID: 6,
    INVALID_MESSAGE: 7,
    USER_NOT_LOGGED_IN: 102
  };
  var CreateChannelError = { INVALID_ARGUMENT: 1 };
  var JoinChannelError = {
    TIMEOUT: 4,
    EXCEED_LIMIT: 5,
    ALREADY_JOINED: 6,
    TOO_OFTEN: 7,
    JOIN_SAME_CHANNEL_TOO_OFTEN: 8,
    USER_NOT_LOGGED_IN: 102,
    ABORTED_BY_LEAVE: 201,
    ALREADY_JOINED_CHANNEL_OF_SAME_ID: 202
  };
  var LeaveChannelError = {
    FAILURE: 1,
    NOT_IN_CHANNEL: 3,
    USER_NOT_LOGGED_IN: 102
  };
  var ChannelMessageError = {
    TIMEOUT: 2,
    TOO_OFTEN: 3,
    INVALID_MESSAGE: 4,
    NOT_IN_CHANNEL: 5,
    USER_NOT_LOGGED_IN: 102
  };
  var GetMembersError = {
    TIMEOUT: 3,
    TOO_OFTEN: 4,
    NOT_IN_CHANNEL: 5,
    USER_NOT_LOGGED_IN: 102
  };

  // src/limits.ts
  var APP_ID = /^[0-9A-Za-z]{32}$/;
  var USER_ID = /^[\s\w!#$%&()+,.:;<=>?@[\]^{|}~-]{1,64}$/;
  var MAX_MESSAGE_BYTES = 32 * 1024;
  var END_CALL_PREFIX = "AgoraRTMLegacyEndcallCompatibleMessagePrefix";
  function isValidAppId(appId) {
    return typeof appId === "string" && APP_ID.test(appId);
  }
  function isValidUserId(id) {
    return typeof id === "string" && id !== "null" && USER_ID.test(id);
  }
  var encoder = new TextEncoder();
  function utf8Size(text) {
    return encoder.encode(text).length;
  }
  function isTextTooBig(text) {
    return text.length * 3 > MAX_MESSAGE_BYTES && utf8Size(text) > MAX_MESSAGE_BYTES;
  }
  function endCallError(text) {
    if (!text.startsWith(END_CALL_PREFIX)) return null;
    const parts = text.split("_");
    if (parts.length === 3 && parts[0] === END_CALL_PREFIX && isValidUserId(parts[1])) return null;
    return "malformed end-call message: expected <prefix>_<channelId>_<info>";
  }
  var MAX_JOINED_CHANNELS = 20;
  var JOIN_RATE = { calls: 50, windowMs: 3e3 };
  var JOIN_SAME_CHANNEL_RATE = { calls: 2, windowMs: 5e3 };
  var GET_MEMBERS_RATE = { calls: 5, windowMs: 2e3 };
  var RateWindows = class {
    constructor() {
      this.times = /* @__PURE__ */ new Map();
    }
    /**
     * Check one call against `checks` (`[key, limit]` pairs). Returns the index of the first
     * limit that refuses it, or -1 when every limit allows it, in which case it is recorded in
     * each window.
     */
    within(...checks) {
      const now = Date.now();
      const kept = [];
      for (let i = 0; i < checks.length; i++) {
        const [key, limit2] = checks[i];
        const times = (this.times.get(key) ?? []).filter((t) => now - t < limit2.windowMs);
        this.times.set(key, times);
        if (times.length >= limit2.calls) return i;
        kept.push(times);
      }
      for (const times of kept) times.push(now);
      return -1;
    }
  };

  // src/enums.ts
  var ConnectionState = {
    DISCONNECTED: "DISCONNECTED",
    CONNECTING: "CONNECTING",
    CONNECTED: "CONNECTED",
    RECONNECTING: "RECONNECTING",
    ABORTED: "ABORTED"
  };
  var ConnectionChangeReason = {
    LOGIN: "LOGIN",
    LOGIN_SUCCESS: "LOGIN_SUCCESS",
    LOGIN_FAILURE: "LOGIN_FAILURE",
    LOGIN_TIMEOUT: "LOGIN_TIMEOUT",
    INTERRUPTED: "INTERRUPTED",
    LOGOUT: "LOGOUT",
    BANNED_BY_SERVER: "BANNED_BY_SERVER",
    REMOTE_LOGIN: "REMOTE_LOGIN",
    TOKEN_EXPIRED: "TOKEN_EXPIRED"
  };
  var MessageType = {
    TEXT: "TEXT",
    RAW: "RAW",
    FILE: "FILE",
    IMAGE: "IMAGE"
  };

  // src/messages.ts
  function toWire(message, code = PeerMessageError.INVALID_MESSAGE, peer = true) {
    const invalid = (text) => rtmError(code, "RtmInvalidArgumentError", text);
    if (typeof message !== "object" || message === null) {
      throw invalid("the message must be an object");
    }
    const m = message;
    let type = m.messageType;
    if (type === void 0) {
      if (m.rawMessage instanceof Uint8Array) type = MessageType.RAW;
      else if (typeof m.text === "string") type = MessageType.TEXT;
    }
    if (type === MessageType.TEXT) {
      if (typeof m.text !== "string") throw invalid("a TEXT message needs a text string");
      if (m.rawMessage !== void 0 || m.description !== void 0) {
        throw invalid("a TEXT message carries text only");
      }
      if (isTextTooBig(m.text)) throw invalid("text over 32 KB");
      const problem = peer ? endCallError(m.text) : null;
      if (problem !== null) throw invalid(problem);
      return { text: m.text };
    }
    if (type === MessageType.RAW) {
      const description = m.description ?? "";
      const raw = m.rawMessage;
      if (!(raw instanceof Uint8Array) || typeof description !== "string" || m.text !== void 0) {
        throw invalid("a RAW message carries a rawMessage Uint8Array and an optional description");
      }
      if (raw.byteLength + utf8Size(description) > MAX_MESSAGE_BYTES) {
        throw invalid("raw payload and description over 32 KB");
      }
      const wire = { type: "RAW", raw: toBase64(raw) };
      if (description) wire.description = description;
      return wire;
    }
    throw invalid(`unsupported message type: ${String(type)}`);
  }
  function fromWire(msg) {
    if (msg.type === MessageType.RAW) {
      const rawMessage = fromBase64(msg.raw ?? "");
      return { rawMessage, description: msg.description ?? "", messageType: "RAW" };
    }
    if (msg.type === void 0 || msg.type === MessageType.TEXT) {
      return { text: msg.text ?? "", messageType: "TEXT" };
    }
    return { ...msg, messageType: msg.type };
  }
  function toBase64(bytes) {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 32768) {
      binary += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 32768)));
    }
    return btoa(binary);
  }
  function fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // src/channel.ts
  var REQUEST_TIMEOUT_MS = 1e4;
  var GET_MEMBERS_TIMEOUT_MS = 5e3;
  var RtmChannel = class extends EventEmitter {
    constructor(channelId, host) {
      super();
      this.channelId = channelId;
      this.host = host;
      this.membership = 0 /* NONE */;
      /** Identifies the join in flight, so that a leave() during it is noticed (spec §1.4). */
      this.attempt = null;
    }
    /**
     * Join the channel (spec §1.4 `join`, protocol §3.7). Codes (spec §4.5): 102 not logged
     * in, 6 this object joined or joining, 202 another object of this id joined, 5 already in
     * 20 channels, 7 over 50 joins in 3 s, 8 this channel joined twice in 5 s, 201 leave()
     * called meanwhile, 4 no answer in 10 s.
     */
    async join() {
      const host = this.host;
      const conn = host.connection();
      if (conn === null) throw status(JoinChannelError.USER_NOT_LOGGED_IN, "not logged in");
      if (this.membership !== 0 /* NONE */) {
        throw status(JoinChannelError.ALREADY_JOINED, "already joined or joining");
      }
      const other = host.channels.get(this.channelId);
      if (other !== void 0 && other !== this) {
        const code = JoinChannelError.ALREADY_JOINED_CHANNEL_OF_SAME_ID;
        throw status(code, "another RtmChannel of this id has joined");
      }
      if (host.channels.size >= MAX_JOINED_CHANNELS) {
        throw limit(JoinChannelError.EXCEED_LIMIT, "already in 20 channels");
      }
      const refused = host.rates.within(
        ["join", JOIN_RATE],
        [`join:${this.channelId}`, JOIN_SAME_CHANNEL_RATE]
      );
      if (refused === 0) throw limit(JoinChannelError.TOO_OFTEN, "more than 50 joins in 3 s");
      if (refused === 1) {
        const code = JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN;
        throw limit(code, "joined this channel twice in the last 5 s");
      }
      const attempt = {};
      this.attempt = attempt;
      this.membership = 1 /* JOINING */;
      host.channels.set(this.channelId, this);
      try {
        const fields = { channel: this.channelId };
        await conn.request("join", fields, REQUEST_TIMEOUT_MS, JoinChannelError.TIMEOUT);
      } catch (error) {
        if (this.attempt === attempt) this.forget();
        throw error;
      }
      if (this.attempt !== attempt) {
        throw status(JoinChannelError.ABORTED_BY_LEAVE, "leave() called during join");
      }
      this.attempt = null;
      this.membership = 2 /* JOINED */;
    }
    /**
     * Leave the channel (spec §1.4 `leave`, protocol §3.8). Codes (spec §4.6): 102 not logged
     * in, 3 not joined, 1 no answer in 10 s. A leave() during join() makes that join() reject
     * with 201.
     */
    async leave() {
      const conn = this.host.connection();
      if (conn === null) throw status(LeaveChannelError.USER_NOT_LOGGED_IN, "not logged in");
      if (this.membership === 0 /* NONE */) {
        throw status(LeaveChannelError.NOT_IN_CHANNEL, "not in this channel");
      }
      const joining = this.membership === 1 /* JOINING */;
      this.forget();
      const fields = { channel: this.channelId };
      const answer = conn.request("leave", fields, REQUEST_TIMEOUT_MS, LeaveChannelError.FAILURE);
      if (joining) {
        answer.catch(() => void 0);
        return;
      }
      await answer;
    }
    /**
     * Send a message to the other members (spec §1.4 `sendMessage`, §6.4; protocol §3.9).
     * Codes (spec §4.7): 102 not logged in, 5 not joined, 4 not a valid message, 3 over 180
     * peer and channel messages in 3 s, 2 no answer in 10 s. `enableOfflineMessaging` does not
     * apply to channels.
     */
    async sendMessage(message, options) {
      const host = this.host;
      const started = Date.now();
      let conn = host.connection();
      if (conn === null && host.reconnecting() && this.membership === 2 /* JOINED */) {
        conn = await host.whenReconnected(REQUEST_TIMEOUT_MS);
        if (conn === null && host.reconnecting()) {
          throw rtmError(ChannelMessageError.TIMEOUT, "RtmTimeoutError", "not reconnected in time");
        }
      }
      if (conn === null) throw status(ChannelMessageError.USER_NOT_LOGGED_IN, "not logged in");
      if (this.membership !== 2 /* JOINED */) {
        throw status(ChannelMessageError.NOT_IN_CHANNEL, "not in this channel");
      }
      const msg = toWire(message, ChannelMessageError.INVALID_MESSAGE, false);
      if (!host.takeMessageBudget()) {
        throw limit(ChannelMessageError.TOO_OFTEN, "over 180 messages in 3 s");
      }
      const fields = { channel: this.channelId, mid: host.nextMid(), msg };
      if (options?.enableHistoricalMessaging) fields.history = true;
      const wait = Math.max(1, REQUEST_TIMEOUT_MS - (Date.now() - started));
      await conn.request("channel_msg", fields, wait, ChannelMessageError.TIMEOUT);
    }
    /**
     * The ids of up to 512 members, this user included (spec §1.4 `getMembers`, §6.8; protocol
     * §3.10). Codes (spec §4.8): 102 not logged in, 5 not joined, 4 over 5 calls in 2 s, 3 no
     * answer in 5 s.
     */
    async getMembers() {
      const host = this.host;
      const conn = host.connection();
      if (conn === null) throw status(GetMembersError.USER_NOT_LOGGED_IN, "not logged in");
      if (this.membership !== 2 /* JOINED */) {
        throw status(GetMembersError.NOT_IN_CHANNEL, "not in this channel");
      }
      if (host.rates.within(["get_members", GET_MEMBERS_RATE]) >= 0) {
        throw limit(GetMembersError.TOO_OFTEN, "over 5 calls in 2 s");
      }
      const fields = { channel: this.channelId };
      const timeoutCode = GetMembersError.TIMEOUT;
      const result = await conn.request("get_members", fields, GET_MEMBERS_TIMEOUT_MS, timeoutCode);
      const members = result?.members;
      return Array.isArray(members) ? members.map(String) : [];
    }
    /** No longer joined nor joining: a leave(), a failed join, or the end of the session. */
    forget() {
      this.membership = 0 /* NONE */;
      this.attempt = null;
      if (this.host.channels.get(this.channelId) === this) this.host.channels.delete(this.channelId);
    }
    /** A channel push routed here by the client (protocol §3.11). */
    onPush(frame) {
      const fire2 = (event, ...args) => this.host.fire(this, event, ...args);
      switch (frame.t) {
        case "channel_msg":
          fire2("ChannelMessage", fromWire(frame.msg ?? {}), String(frame.from), {
            serverReceivedTs: typeof frame.ts === "number" ? frame.ts : 0
          });
          break;
        case "member_joined":
          fire2("MemberJoined", String(frame.uid));
          break;
        case "member_left":
          fire2("MemberLeft", String(frame.uid));
          break;
        case "member_count":
          fire2("MemberCountUpdated", Number(frame.count));
          break;
        case "channel_attrs":
          fire2("AttributesUpdated", attributesFromWire(frame.attrs));
          break;
      }
    }
  };
  var CHANNEL_PUSHES = /* @__PURE__ */ new Set([
    "channel_msg",
    "member_joined",
    "member_left",
    "member_count",
    "channel_attrs"
  ]);
  function attributesFromWire(attrs) {
    const result = {};
    if (typeof attrs !== "object" || attrs === null) return result;
    for (const [key, a] of Object.entries(attrs)) {
      result[key] = {
        value: String(a?.value ?? ""),
        lastUpdateUserId: String(a?.user ?? ""),
        lastUpdateTs: Number(a?.ts ?? 0)
      };
    }
    return result;
  }
  function status(code, message) {
    return rtmError(code, "RtmInvalidStatusError", message);
  }
  function limit(code, message) {
    return rtmError(code, "RtmLimitExceededError", message);
  }

  // src/connection.ts
  var Connection = class _Connection {
    constructor(ws, nextId, handlers) {
      this.ws = ws;
      this.nextId = nextId;
      this.handlers = handlers;
      this.pending = /* @__PURE__ */ new Map();
      this.open_ = true;
      ws.onmessage = (event) => this.onMessage(event);
      ws.onclose = (event) => this.onClosed(event.code, event.reason);
    }
    /** Open a WebSocket to `url`; rejects when it cannot be opened. */
    static open(url, nextId, handlers) {
      return new Promise((resolve, reject) => {
        let ws;
        try {
          ws = new WebSocket(url);
        } catch (error) {
          reject(error);
          return;
        }
        ws.onopen = () => {
          ws.onerror = null;
          resolve(new _Connection(ws, nextId, handlers));
        };
        ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
        ws.onclose = () => reject(new Error(`cannot connect to ${url}`));
      });
    }
    get isOpen() {
      return this.open_;
    }
    /** Send a frame that gets no answer (`ack`, protocol §2.1). */
    send(frame) {
      if (this.open_) this.ws.send(JSON.stringify(frame));
    }
    /**
     * Send request `op` with `fields`; resolve with the reply's `result`, reject with the
     * server's error (protocol §4) or with `timeoutCode` when no answer comes in `timeoutMs`
     * or the connection ends first (protocol §2.3: fail every pending request).
     */
    request(op, fields, timeoutMs, timeoutCode) {
      const id = this.nextId();
      return new Promise((resolve, reject) => {
        if (!this.open_) {
          reject(rtmError(timeoutCode, "RtmTimeoutError", "the connection is closed"));
          return;
        }
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(rtmError(timeoutCode, "RtmTimeoutError", `no answer to ${op} in time`));
        }, timeoutMs);
        this.pending.set(id, { resolve, reject, timer, timeoutCode });
        this.ws.send(JSON.stringify({ op, id, ...fields }));
      });
    }
    /** Close the connection; its close event is not reported to the handlers. */
    close(code = 1e3, reason = "") {
      if (!this.open_) return;
      this.open_ = false;
      this.failPending("the connection was closed");
      this.ws.close(code, reason);
    }
    onMessage(event) {
      if (typeof event.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (typeof frame !== "object" || frame === null || typeof frame.t !== "string") return;
      if (frame.t === "reply" || frame.t === "error") {
        const pending = typeof frame.id === "number" ? this.pending.get(frame.id) : void 0;
        if (!pending) return;
        this.pending.delete(frame.id);
        clearTimeout(pending.timer);
        if (frame.t === "reply") pending.resolve(frame.result);
        else {
          const name = frame.name ?? "RtmUnknownError";
          const error = rtmError(frame.code ?? 1, name, frame.message ?? "");
          error.serverCode = frame.code;
          pending.reject(error);
        }
        return;
      }
      this.handlers.onPush(frame, this);
    }
    onClosed(code, reason) {
      if (!this.open_) return;
      this.open_ = false;
      this.failPending("the connection was lost");
      this.handlers.onClose(this, code, reason);
    }
    failPending(message) {
      for (const pending of this.pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(rtmError(pending.timeoutCode, "RtmTimeoutError", message));
      }
      this.pending.clear();
    }
  };

  // src/script-url.ts
  var SCRIPT_URL = typeof document !== "undefined" && document.currentScript instanceof HTMLScriptElement ? document.currentScript.src || void 0 : void 0;

  // src/server-url.ts
  function serverJsonUrl() {
    const base = SCRIPT_URL ?? (typeof document !== "undefined" ? document.baseURI : void 0);
    if (base === void 0) throw new Error("no script URL: set the `server` config key");
    return new URL("server.json", base).href;
  }
  async function resolveServerUrl(configured) {
    if (configured !== void 0) return configured;
    try {
      const response = await fetch(serverJsonUrl(), { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      if (typeof body.websocket !== "string") throw new Error("no `websocket` URL in it");
      return body.websocket;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw rtmError(LoginError.UNKNOWN, "RtmUnknownError", `cannot read server.json: ${reason}`);
    }
  }

  // src/client.ts
  var SDK = "js/0.1.0";
  var LOGIN_TIMEOUT_MS = 12e3;
  var REQUEST_TIMEOUT_MS2 = 1e4;
  var LOGIN_SPACING_MS = 500;
  var MESSAGE_BUDGET = 180;
  var MESSAGE_WINDOW_MS = 3e3;
  var RECONNECT_FIRST_DELAY_MS = 250;
  var RECONNECT_MAX_DELAY_MS = 1e4;
  var FINAL_LOGIN_CODES = /* @__PURE__ */ new Set([3, 4, 5, 6]);
  var SEEN_MESSAGES = 4096;
  var RECONNECT_CODES = /* @__PURE__ */ new Set([1001, 1005, 1006, 1011, 1012, 1013, 4004, 4005]);
  var ABORT_REASONS = {
    4001: ConnectionChangeReason.REMOTE_LOGIN,
    4002: ConnectionChangeReason.TOKEN_EXPIRED,
    4003: ConnectionChangeReason.BANNED_BY_SERVER
  };
  var RtmClient = class extends EventEmitter {
    constructor(appId, config) {
      super();
      this.appId = appId;
      this.config = config;
      this.state = ConnectionState.DISCONNECTED;
      this.conn = null;
      /** The connection of the login in progress, so that `logout()` can drop it. */
      this.loggingIn = null;
      /** Bumped when a login attempt ends, so that a stale attempt knows to stop. */
      this.generation = 0;
      this.abortLogin = null;
      this.loggingOut = null;
      this.lastLoginAt = -Infinity;
      this.requestId = 0;
      this.midPrefix = randomHex(8);
      this.midCounter = 0;
      this.sendTimes = [];
      this.seen = /* @__PURE__ */ new Set();
      /** Who is logged in, and the session to resume after a lost link (protocol §3.1). */
      this.credentials = null;
      this.sessionId = null;
      /** Requests waiting for a reconnection to end (spec §1.2: up to their timeout). */
      this.waiters = /* @__PURE__ */ new Set();
      this.host = {
        connection: () => this.state === ConnectionState.CONNECTED && !this.loggingOut ? this.conn : null,
        channels: /* @__PURE__ */ new Map(),
        rates: new RateWindows(),
        whenReconnected: (timeoutMs) => this.whenReconnected(timeoutMs),
        reconnecting: () => this.state === ConnectionState.RECONNECTING && !this.loggingOut,
        takeMessageBudget: () => this.takeMessageBudget(),
        nextMid: () => this.nextMid(),
        fire: (target, event, ...args) => fire(target, event, args)
      };
    }
    /** The connection state (spec §3.1). */
    get connectionState() {
      return this.state;
    }
    /** Log in as `uid` (spec §1.2 `login`, §3.2 transitions, §4.1 codes). */
    async login(options) {
      const { uid, token } = options ?? {};
      if (!isValidUserId(uid)) throw loginError(LoginError.INVALID_ARGUMENT, "invalid uid");
      if (token !== void 0 && token !== null && typeof token !== "string") {
        throw loginError(LoginError.INVALID_ARGUMENT, "token must be a string");
      }
      if (this.state !== ConnectionState.DISCONNECTED) {
        throw loginError(LoginError.ALREADY_LOGIN, `cannot log in while ${this.state}`);
      }
      const now = Date.now();
      if (now - this.lastLoginAt < LOGIN_SPACING_MS) {
        throw loginError(LoginError.TOO_OFTEN, "login called less than 500 ms ago");
      }
      this.lastLoginAt = now;
      const generation = ++this.generation;
      this.transition(ConnectionState.CONNECTING, ConnectionChangeReason.LOGIN);
      let timer;
      const stopped = new Promise((_, reject) => {
        this.abortLogin = reject;
        const timedOut = () => reject(loginError(LoginError.TIMEOUT, "login timed out"));
        timer = setTimeout(timedOut, LOGIN_TIMEOUT_MS);
      });
      try {
        const deadline = now + LOGIN_TIMEOUT_MS;
        const attempt = this.connectAndLogin(uid, token || null, generation, deadline);
        const { conn, sessionId } = await Promise.race([attempt, stopped]);
        this.loggingIn = null;
        this.conn = conn;
        this.credentials = { uid, token: token || null };
        this.sessionId = sessionId;
        this.transition(ConnectionState.CONNECTED, ConnectionChangeReason.LOGIN_SUCCESS);
      } catch (error) {
        if (generation === this.generation) {
          this.generation++;
          this.loggingIn?.close();
          this.loggingIn = null;
          const timedOut = error.code === LoginError.TIMEOUT;
          this.transition(
            ConnectionState.DISCONNECTED,
            timedOut ? ConnectionChangeReason.LOGIN_TIMEOUT : ConnectionChangeReason.LOGIN_FAILURE
          );
        }
        throw error;
      } finally {
        clearTimeout(timer);
        this.abortLogin = null;
      }
    }
    /** Log out (spec §1.2 `logout`, protocol §3.2); code 102 when not logged in. */
    logout() {
      if (this.loggingOut) return this.loggingOut;
      switch (this.state) {
        case ConnectionState.DISCONNECTED:
          return Promise.reject(
            rtmError(LogoutError.USER_NOT_LOGGED_IN, "RtmInvalidStatusError", "not logged in")
          );
        case ConnectionState.RECONNECTING:
          if (this.conn === null) {
            this.generation++;
            this.loggingIn?.close();
            this.loggingIn = null;
            this.endLocally(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
            return Promise.resolve();
          }
          this.generation++;
          this.loggingOut = this.endSession().finally(() => {
            this.loggingOut = null;
          });
          return this.loggingOut;
        case ConnectionState.CONNECTING:
          this.generation++;
          this.loggingIn?.close();
          this.loggingIn = null;
          this.abortLogin?.(loginError(LoginError.ABORTED_BY_LOGOUT, "logout called during login"));
          this.transition(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
          return Promise.resolve();
        default:
          this.loggingOut = this.endSession().finally(() => {
            this.loggingOut = null;
          });
          return this.loggingOut;
      }
    }
    /**
     * Send a peer message (spec §1.2 `sendMessageToPeer`, §6.1; protocol §3.4). Resolves
     * `{hasPeerReceived}`: true once the peer's SDK acknowledged it; an offline peer is not an
     * error. Codes (spec §4.4): 6 bad peer id, 7 bad message, 102 not logged in, 5 over 180
     * messages in 3 s, 2 no answer.
     */
    async sendMessageToPeer(message, peerId, options) {
      if (!isValidUserId(peerId)) {
        throw rtmError(PeerMessageError.INVALID_USERID, "RtmInvalidArgumentError", "invalid peer id");
      }
      const msg = toWire(message);
      const started = Date.now();
      let conn = this.host.connection();
      if (conn === null && this.host.reconnecting()) {
        conn = await this.whenReconnected(REQUEST_TIMEOUT_MS2);
        if (conn === null && this.host.reconnecting()) {
          const code = PeerMessageError.TIMEOUT;
          throw rtmError(code, "RtmTimeoutError", "not reconnected in time");
        }
      }
      if (conn === null) {
        const code = PeerMessageError.USER_NOT_LOGGED_IN;
        throw rtmError(code, "RtmInvalidStatusError", "not logged in");
      }
      if (!this.takeMessageBudget()) {
        const code = PeerMessageError.TOO_OFTEN;
        throw rtmError(code, "RtmLimitExceededError", "over 180 messages in 3 s");
      }
      const fields = { to: peerId, mid: this.nextMid(), msg };
      if (options?.enableOfflineMessaging) fields.offline = true;
      if (options?.enableHistoricalMessaging) fields.history = true;
      const timeoutCode = PeerMessageError.TIMEOUT;
      const wait = Math.max(1, REQUEST_TIMEOUT_MS2 - (Date.now() - started));
      const result = await conn.request("peer_msg", fields, wait, timeoutCode);
      return { hasPeerReceived: result?.received === true };
    }
    /**
     * A channel object (spec §1.2 `createChannel`, §1.4); joining is separate. Throws code 1
     * `RtmInvalidArgumentError` for an invalid channel id (spec §4.15, §5.1).
     */
    createChannel(channelId) {
      if (!isValidUserId(channelId)) {
        const code = CreateChannelError.INVALID_ARGUMENT;
        throw rtmError(code, "RtmInvalidArgumentError", "invalid channel id");
      }
      return new RtmChannel(channelId, this.host);
    }
    /** `createMessage` is the identity in 1.5.1 (spec §1.2). */
    createMessage(message) {
      return message;
    }
    /** Spec §5.4: peer and channel messages share one budget of 180 in 3 s. */
    takeMessageBudget() {
      const now = Date.now();
      this.sendTimes = this.sendTimes.filter((t) => now - t < MESSAGE_WINDOW_MS);
      if (this.sendTimes.length >= MESSAGE_BUDGET) return false;
      this.sendTimes.push(now);
      return true;
    }
    /** Protocol §3.4, §3.9: `mid` is unique per sender, across logins too (a random prefix). */
    nextMid() {
      return `${this.midPrefix}-${++this.midCounter}`;
    }
    /** The session ended (logout, kick, lost link): the server has left every channel. */
    leaveAllChannels() {
      for (const channel of [...this.host.channels.values()]) channel.forget();
    }
    /**
     * The logged-in connection once a reconnection in progress ends with CONNECTED, or null
     * when it ends otherwise or takes longer than `timeoutMs`.
     */
    whenReconnected(timeoutMs) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve(this.host.connection());
        };
        const timer = setTimeout(done, timeoutMs);
        this.waiters.add(done);
      });
    }
    /** The session is over without a logout request: forget it and every channel. */
    endLocally(state, reason) {
      this.generation++;
      this.conn = null;
      this.credentials = null;
      this.sessionId = null;
      this.leaveAllChannels();
      this.transition(state, reason);
    }
    /**
     * Log in again after a lost link (protocol §3.2, §5): new connections with `resume`, with
     * backoff and jitter, until the session is resumed (nothing else to do: the server replays
     * what was missed) or a new one is made (then re-join the channels), or the login is refused
     * for good, or logout() stops it.
     */
    async reconnect() {
      const credentials = this.credentials;
      if (credentials === null) return;
      const generation = ++this.generation;
      let delay = RECONNECT_FIRST_DELAY_MS;
      while (generation === this.generation) {
        let result = null;
        try {
          result = await this.loginOnce(credentials, generation, Date.now() + LOGIN_TIMEOUT_MS);
        } catch (error) {
          const code = error.serverCode;
          if (generation !== this.generation) return;
          if (code !== void 0 && FINAL_LOGIN_CODES.has(code)) {
            const expired = code === 6;
            this.endLocally(
              ConnectionState.ABORTED,
              expired ? ConnectionChangeReason.TOKEN_EXPIRED : ConnectionChangeReason.LOGIN_FAILURE
            );
            if (expired) this.fire("TokenExpired");
            return;
          }
        }
        if (generation !== this.generation) {
          result?.conn.close();
          return;
        }
        if (result !== null) {
          this.loggingIn = null;
          this.conn = result.conn;
          this.sessionId = result.sessionId;
          if (!result.resumed) await this.rejoinChannels(result.conn);
          if (generation !== this.generation || this.conn !== result.conn) return;
          this.transition(ConnectionState.CONNECTED, ConnectionChangeReason.LOGIN_SUCCESS);
          return;
        }
        const pause = delay / 2 + Math.random() * (delay / 2);
        await new Promise((resolve) => setTimeout(resolve, pause));
        delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS);
      }
    }
    /**
     * A new session after a lost one (protocol §3.2): join again every channel that was joined.
     * A channel the server refuses now is left, as the session that joined it is gone.
     */
    async rejoinChannels(conn) {
      const channels = [...this.host.channels.values()];
      await Promise.all(
        channels.map(async (channel) => {
          try {
            const fields = { channel: channel.channelId };
            await conn.request("join", fields, REQUEST_TIMEOUT_MS2, 1);
          } catch {
            if (conn === this.conn) channel.forget();
          }
        })
      );
    }
    /** Open connections until one logs in, or the server refuses the login (protocol §3.1). */
    async connectAndLogin(uid, token, generation, deadline) {
      let delay = 250;
      while (generation === this.generation) {
        try {
          const result = await this.loginOnce({ uid, token }, generation, deadline);
          if (result !== null) return result;
          break;
        } catch (error) {
          if (error.serverCode !== void 0) throw error;
        }
        const pause = Math.min(delay, Math.max(0, deadline - Date.now()));
        await new Promise((resolve) => setTimeout(resolve, pause));
        delay = Math.min(delay * 2, 1e3);
      }
      throw loginError(LoginError.ABORTED_BY_LOGOUT, "the login was abandoned");
    }
    /**
     * One connection and one `login` on it (protocol §3.1), with `resume` when a session was
     * lost. Null when the attempt was abandoned (`generation` moved on); rejects when the
     * connection fails or the server refuses (`serverCode` set).
     */
    async loginOnce(credentials, generation, deadline) {
      const url = await resolveServerUrl(this.config.server);
      const handlers = {
        onPush: (frame, conn2) => this.onPush(frame, conn2),
        onClose: (conn2, code) => this.onClose(conn2, code)
      };
      let conn = null;
      try {
        conn = await Connection.open(url, () => ++this.requestId, handlers);
        if (generation !== this.generation) {
          conn.close();
          return null;
        }
        this.loggingIn = conn;
        const { uid, token } = credentials;
        const fields = { v: 1, app_id: this.appId, uid, sdk: SDK };
        if (token) fields.token = token;
        if (this.sessionId) fields.resume = this.sessionId;
        const wait = Math.max(1, deadline - Date.now());
        const reply = await conn.request("login", fields, wait, LoginError.TIMEOUT);
        if (generation !== this.generation) {
          conn.close();
          return null;
        }
        const sessionId = typeof reply?.session_id === "string" ? reply.session_id : "";
        return { conn, sessionId, resumed: reply?.resumed === true };
      } catch (error) {
        conn?.close();
        throw error;
      }
    }
    async endSession() {
      const conn = this.conn;
      this.conn = null;
      this.credentials = null;
      this.sessionId = null;
      this.leaveAllChannels();
      if (conn?.isOpen) {
        try {
          await conn.request("logout", {}, REQUEST_TIMEOUT_MS2, 1);
        } catch {
        }
        conn.close(1e3);
      }
      this.transition(ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT);
    }
    /** A logged-in connection closed without our logout (protocol §5). */
    onClose(conn, code) {
      if (conn !== this.conn) return;
      this.conn = null;
      const reason = ABORT_REASONS[code];
      if (reason !== void 0) {
        this.endLocally(ConnectionState.ABORTED, reason);
        if (code === 4002) this.fire("TokenExpired");
      } else if (RECONNECT_CODES.has(code)) {
        if (this.state !== ConnectionState.RECONNECTING) {
          this.transition(ConnectionState.RECONNECTING, ConnectionChangeReason.INTERRUPTED);
        }
        void this.reconnect();
      } else if (code === 1e3) {
        this.endLocally(ConnectionState.DISCONNECTED, ConnectionChangeReason.INTERRUPTED);
      } else {
        this.endLocally(ConnectionState.ABORTED, ConnectionChangeReason.INTERRUPTED);
      }
    }
    /** Pushes (protocol §2.2), handled from the moment the WebSocket opens (protocol §2.3). */
    onPush(frame, conn) {
      if (frame.t === "peer_msg") this.onPeerMessage(frame, conn);
      else if (frame.t === "token_expiring") this.fire("TokenPrivilegeWillExpire");
      else if (CHANNEL_PUSHES.has(frame.t) && conn === this.conn) {
        this.host.channels.get(String(frame.channel))?.onPush(frame);
      }
    }
    /**
     * A peer message (protocol §3.5): hand it to the app, then acknowledge it — every push, even
     * a redelivery (same sender and `mid`, spec §6.5) that is not shown again.
     */
    onPeerMessage(frame, conn) {
      try {
        const from = String(frame.from);
        const key = JSON.stringify([from, frame.mid]);
        if (!this.seen.has(key)) {
          this.seen.add(key);
          if (this.seen.size > SEEN_MESSAGES) {
            this.seen.delete(this.seen.values().next().value);
          }
          this.fire("MessageFromPeer", fromWire(frame.msg ?? {}), from, {
            serverReceivedTs: typeof frame.ts === "number" ? frame.ts : 0,
            isOfflineMessage: frame.offline === true
          });
        }
      } finally {
        conn.send({ op: "ack", d: frame.d });
      }
    }
    transition(state, reason) {
      this.state = state;
      this.fire("ConnectionStateChanged", state, reason);
      if (state !== ConnectionState.RECONNECTING) {
        for (const waiter of [...this.waiters]) waiter();
      }
    }
    /** Emit one of the client's events (see `fire` below). */
    fire(event, ...args) {
      fire(this, event, args);
    }
  };
  function fire(target, event, args) {
    try {
      target.emit(event, ...args);
    } catch (error) {
      setTimeout(() => {
        throw error;
      });
    }
  }
  function loginError(code, message) {
    const names = {
      [LoginError.UNKNOWN]: "RtmUnknownError",
      [LoginError.INVALID_ARGUMENT]: "RtmInvalidArgumentError",
      [LoginError.TIMEOUT]: "RtmTimeoutError",
      [LoginError.TOO_OFTEN]: "RtmInvokeTooOftenError"
    };
    return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
  }
  function randomHex(length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // src/index.ts
  var CONFIG_KEYS = /* @__PURE__ */ new Set(["enableLogUpload", "logFilter", "enableCloudProxy", "server"]);
  function createInstance(appId, config) {
    if (!isValidAppId(appId)) throw invalidArgument("invalid App ID");
    for (const key of Object.keys(config ?? {})) {
      if (!CONFIG_KEYS.has(key)) throw invalidArgument(`Invalid RTM config: ${key}`);
    }
    const server = config?.server;
    if (server !== void 0 && (typeof server !== "string" || !/^wss?:\/\//i.test(server))) {
      throw invalidArgument("Invalid RTM config: server must be a ws:// or wss:// URL");
    }
    return new RtmClient(appId, { ...config });
  }
  function invalidArgument(message) {
    return rtmError(1, "RtmInvalidArgumentError", message);
  }
  var AgoraRTM = {
    createInstance,
    VERSION: "1.5.1",
    END_CALL_PREFIX,
    ConnectionState,
    ConnectionChangeReason,
    MessageType
  };
  var index_default = AgoraRTM;
  return __toCommonJS(index_exports);
})();
AgoraRTM = AgoraRTM.default;
