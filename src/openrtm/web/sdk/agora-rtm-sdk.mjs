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
  /** The listeners of `event` as registered (this emitter wraps none, so as `listeners`). */
  rawListeners(event) {
    return this.listeners(event);
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
function fire(target, event, args) {
  try {
    target.emit(event, ...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

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
var RenewTokenError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TOO_OFTEN: 4,
  USER_NOT_LOGGED_IN: 102,
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
function loginError(code, message) {
  const names = {
    [LoginError.UNKNOWN]: "RtmUnknownError",
    [LoginError.INVALID_ARGUMENT]: "RtmInvalidArgumentError",
    [LoginError.TIMEOUT]: "RtmTimeoutError",
    [LoginError.TOO_OFTEN]: "RtmInvokeTooOftenError"
  };
  return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
}

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
var RENEW_TOKEN_RATE = { calls: 2, windowMs: 1e3 };
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

// src/base64.ts
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
var PeerOnlineState = {
  ONLINE: "ONLINE",
  UNREACHABLE: "UNREACHABLE",
  OFFLINE: "OFFLINE"
};
var PeerSubscriptionOption = { ONLINE_STATUS: "ONLINE_STATUS" };
var LocalInvitationState = {
  IDLE: "IDLE",
  SENT_TO_REMOTE: "SENT_TO_REMOTE",
  RECEIVED_BY_REMOTE: "RECEIVED_BY_REMOTE",
  ACCEPTED_BY_REMOTE: "ACCEPTED_BY_REMOTE",
  REFUSED_BY_REMOTE: "REFUSED_BY_REMOTE",
  CANCELED: "CANCELED",
  FAILURE: "FAILURE"
};
var RemoteInvitationState = {
  INVITATION_RECEIVED: "INVITATION_RECEIVED",
  ACCEPT_SENT_TO_LOCAL: "ACCEPT_SENT_TO_LOCAL",
  REFUSED: "REFUSED",
  ACCEPTED: "ACCEPTED",
  CANCELED: "CANCELED",
  FAILURE: "FAILURE"
};
var LocalInvitationFailureReason = {
  UNKNOWN: "UNKNOWN",
  PEER_OFFLINE: "PEER_OFFLINE",
  PEER_NO_RESPONSE: "PEER_NO_RESPONSE",
  INVITATION_EXPIRE: "INVITATION_EXPIRE",
  NOT_LOGGEDIN: "NOT_LOGGEDIN"
};
var RemoteInvitationFailureReason = {
  UNKNOWN: "UNKNOWN",
  PEER_OFFLINE: "PEER_OFFLINE",
  ACCEPT_FAILURE: "ACCEPT_FAILURE",
  INVITATION_EXPIRE: "INVITATION_EXPIRE"
};

// src/media-messages.ts
var MEDIA_ID = /^[A-Za-z0-9_-]{16,64}$/;
var thumbnails = /* @__PURE__ */ new WeakMap();
function thumbnailBytes(blob) {
  let known = thumbnails.get(blob);
  if (known === void 0) {
    known = blob.arrayBuffer().then((buffer) => {
      const bytes = new Uint8Array(buffer);
      thumbnails.set(blob, bytes);
      return bytes;
    });
    thumbnails.set(blob, known);
  }
  return known;
}
function thumbnailBlob(bytes) {
  const blob = new Blob([bytes], { type: sniffMime(bytes) });
  thumbnails.set(blob, bytes);
  return blob;
}
function sniffMime(bytes) {
  const starts = (...magic) => magic.every((b, i) => bytes[i] === b);
  if (starts(137, 80, 78, 71, 13, 10, 26, 10)) return "image/png";
  if (starts(71, 73, 70, 56) && (bytes[4] === 55 || bytes[4] === 57)) {
    return "image/gif";
  }
  if (starts(37, 80, 68, 70)) return "application/pdf";
  if (starts(255, 216, 255)) return "image/jpeg";
  if (starts(80, 75) && [772, 1286, 1800].includes(bytes[2] << 8 | bytes[3])) {
    return "application/zip";
  }
  return "";
}
function isCount(value) {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
function mediaPartsError(m) {
  const { fileName, description, thumbnail } = m;
  if (typeof fileName !== "string" || typeof description !== "string") {
    return "fileName and description are strings";
  }
  if (thumbnail !== void 0 && thumbnail !== null && !(thumbnail instanceof Blob)) {
    return "a thumbnail is a Blob";
  }
  const sizes = [m.width, m.height, m.thumbnailWidth, m.thumbnailHeight];
  if (!sizes.every((n) => n === void 0 || isCount(n))) {
    return "width and height are non-negative integers";
  }
  const thumb = thumbnail instanceof Blob ? thumbnail.size : 0;
  if (utf8Size(fileName) + utf8Size(description) + thumb > MAX_MESSAGE_BYTES) {
    return "file name, description and thumbnail over 32 KB";
  }
  return null;
}
function rebuildMediaMessage(m) {
  const thumbnail = m.thumbnail instanceof Blob ? m.thumbnail : void 0;
  if (thumbnail !== void 0) void Promise.resolve(thumbnailBytes(thumbnail)).catch(() => {
  });
  const file = {
    mediaId: m.mediaId,
    fileName: m.fileName ?? "",
    description: m.description ?? "",
    size: m.size ?? 0,
    thumbnail
  };
  if (m.messageType === MessageType.IMAGE) {
    return {
      ...file,
      width: m.width ?? 0,
      height: m.height ?? 0,
      thumbnailWidth: m.thumbnailWidth ?? 0,
      thumbnailHeight: m.thumbnailHeight ?? 0,
      messageType: "IMAGE"
    };
  }
  return { ...file, messageType: "FILE" };
}
function mediaToWire(m, type, invalid5) {
  if (typeof m.mediaId !== "string" || !MEDIA_ID.test(m.mediaId)) {
    throw invalid5(`a ${type} message needs a valid mediaId`);
  }
  if (m.text !== void 0 || m.rawMessage !== void 0) {
    throw invalid5(`a ${type} message carries no text or rawMessage`);
  }
  const parts = { ...m, fileName: m.fileName ?? "", description: m.description ?? "" };
  const problem = mediaPartsError(parts);
  if (problem !== null) throw invalid5(problem);
  if (m.size !== void 0 && !isCount(m.size)) throw invalid5("size is a non-negative integer");
  const media = { id: m.mediaId };
  if (parts.fileName) media.name = parts.fileName;
  if (m.size) media.size = m.size;
  if (type === MessageType.IMAGE) {
    const sizes = [
      ["width", m.width],
      ["height", m.height],
      ["thumb_width", m.thumbnailWidth],
      ["thumb_height", m.thumbnailHeight]
    ];
    for (const [key, value] of sizes) if (value) media[key] = value;
  }
  const wire = { type, media };
  if (parts.description) wire.description = parts.description;
  if (!(m.thumbnail instanceof Blob)) return wire;
  const withThumb = (bytes2) => {
    media.thumb = toBase64(bytes2);
    return wire;
  };
  const bytes = thumbnailBytes(m.thumbnail);
  if (bytes instanceof Uint8Array) return withThumb(bytes);
  return bytes.then(withThumb, () => {
    throw invalid5("the thumbnail cannot be read");
  });
}
function mediaFromWire(type, media, description) {
  const file = {
    mediaId: media.id,
    fileName: media.name ?? "",
    description,
    size: media.size ?? 0,
    thumbnail: media.thumb ? thumbnailBlob(fromBase64(media.thumb)) : void 0
  };
  if (type === MessageType.IMAGE) {
    return {
      ...file,
      width: media.width ?? 0,
      height: media.height ?? 0,
      thumbnailWidth: media.thumb_width ?? 0,
      thumbnailHeight: media.thumb_height ?? 0,
      messageType: "IMAGE"
    };
  }
  return { ...file, messageType: "FILE" };
}

// src/messages.ts
function toWire(message, code = PeerMessageError.INVALID_MESSAGE, peer = true) {
  const invalid5 = (text) => rtmError(code, "RtmInvalidArgumentError", text);
  if (typeof message !== "object" || message === null) {
    throw invalid5("the message must be an object");
  }
  const m = message;
  let type = m.messageType;
  if (type === void 0) {
    if (m.rawMessage instanceof Uint8Array) type = MessageType.RAW;
    else if (typeof m.text === "string") type = MessageType.TEXT;
  }
  if (type === MessageType.TEXT) {
    if (typeof m.text !== "string") throw invalid5("a TEXT message needs a text string");
    if (m.rawMessage !== void 0 || m.description !== void 0) {
      throw invalid5("a TEXT message carries text only");
    }
    if (isTextTooBig(m.text)) throw invalid5("text over 32 KB");
    const problem = peer ? endCallError(m.text) : null;
    if (problem !== null) throw invalid5(problem);
    return { text: m.text };
  }
  if (type === MessageType.RAW) {
    const description = m.description ?? "";
    const raw = m.rawMessage;
    if (!(raw instanceof Uint8Array) || typeof description !== "string" || m.text !== void 0) {
      throw invalid5("a RAW message carries a rawMessage Uint8Array and an optional description");
    }
    if (raw.byteLength + utf8Size(description) > MAX_MESSAGE_BYTES) {
      throw invalid5("raw payload and description over 32 KB");
    }
    const wire = { type: "RAW", raw: toBase64(raw) };
    if (description) wire.description = description;
    return wire;
  }
  if (type === MessageType.FILE || type === MessageType.IMAGE) return mediaToWire(m, type, invalid5);
  throw invalid5(`unsupported message type: ${String(type)}`);
}
function createMessage(message) {
  if (typeof message !== "object" || message === null) return message;
  const m = message;
  if (m.messageType !== MessageType.FILE && m.messageType !== MessageType.IMAGE) return message;
  return rebuildMediaMessage(m);
}
function fromWire(msg) {
  if (msg.type === MessageType.RAW) {
    const rawMessage = fromBase64(msg.raw ?? "");
    return { rawMessage, description: msg.description ?? "", messageType: "RAW" };
  }
  if (msg.type === void 0 || msg.type === MessageType.TEXT) {
    return { text: msg.text ?? "", messageType: "TEXT" };
  }
  if ((msg.type === MessageType.FILE || msg.type === MessageType.IMAGE) && msg.media) {
    return mediaFromWire(msg.type, msg.media, msg.description ?? "");
  }
  return { text: msg.text ?? "", messageType: "TEXT" };
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
    const wire = toWire(message, ChannelMessageError.INVALID_MESSAGE, false);
    const msg = wire instanceof Promise ? await wire : wire;
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

// src/attributes.ts
var AttributeOperationError = {
  INVALID_ARGUMENT: 3,
  SIZE_OVERFLOW: 4,
  TOO_OFTEN: 5,
  TIMEOUT: 7,
  USER_NOT_LOGGED_IN: 102
};
var E = AttributeOperationError;
var MAX_PAIRS = 32;
var MAX_KEY_BYTES = 32;
var MAX_VALUE_BYTES = 8 * 1024;
var MAX_USER_TOTAL = 16 * 1024;
var MAX_CHANNEL_TOTAL = 32 * 1024;
var USER_WRITE_RATE = { calls: 10, windowMs: 5e3 };
var USER_READ_RATE = { calls: 40, windowMs: 5e3 };
var CHANNEL_WRITE_RATE = { calls: 10, windowMs: 5e3 };
var CHANNEL_READ_RATE = { calls: 10, windowMs: 5e3 };
var Attributes = class {
  constructor(link) {
    this.link = link;
    /** The user attributes last written successfully. */
    this.local = {};
  }
  /** `setLocalUserAttributes`: replace this user's attributes. */
  async setLocal(attrs) {
    this.loggedIn();
    checkMap(attrs, MAX_USER_TOTAL);
    await this.writeLocal("set_user_attrs", { attrs: { ...attrs } }, { ...attrs });
  }
  /** `addOrUpdateLocalUserAttributes`: add or replace keys, keep the others. */
  async updateLocal(attrs) {
    this.loggedIn();
    checkMap(attrs, MAX_USER_TOTAL);
    const merged = { ...this.local, ...attrs };
    const problem = mapError(merged, MAX_USER_TOTAL);
    if (problem !== null) throw rtmError(E.SIZE_OVERFLOW, "RtmLimitExceededError", problem[1]);
    await this.writeLocal("update_user_attrs", { attrs: { ...attrs } }, merged);
  }
  /** `deleteLocalUserAttributesByKeys`. */
  async deleteLocal(keys) {
    this.loggedIn();
    checkKeys(keys);
    const gone = new Set(keys);
    const kept = Object.fromEntries(Object.entries(this.local).filter(([k]) => !gone.has(k)));
    await this.writeLocal("delete_user_attrs", { keys: [...keys] }, kept);
  }
  /** `clearLocalUserAttributes`. */
  async clearLocal() {
    this.loggedIn();
    await this.writeLocal("clear_user_attrs", {}, {});
  }
  /** `getUserAttributes` / `getUserAttributesByKeys`: an online user's; 6 when offline. */
  async getUser(uid, keys) {
    this.loggedIn();
    if (!isValidUserId(uid)) throw invalid("invalid user id");
    if (keys !== void 0) checkKeys(keys);
    this.within("get_user_attrs", USER_READ_RATE);
    const fields = keys === void 0 ? { uid } : { uid, keys: [...keys] };
    const result = await this.link.request("get_user_attrs", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    return { ...result?.attrs ?? {} };
  }
  /** Set, update (`attrs`), delete (`keys`) or clear a channel's attributes. */
  async writeChannel(op, channelId, what, options) {
    this.loggedIn();
    if (!isValidUserId(channelId)) throw invalid("invalid channel id");
    const fields = { channel: channelId };
    if (op === "set_channel_attrs" || op === "update_channel_attrs") {
      checkMap(what.attrs, MAX_CHANNEL_TOTAL);
      fields.attrs = { ...what.attrs };
    } else if (op === "delete_channel_attrs") {
      checkKeys(what.keys);
      fields.keys = [...what.keys];
    }
    this.within("channel_attribute_writes", CHANNEL_WRITE_RATE);
    fields.notify = options?.enableNotificationToChannelMembers === true;
    await this.link.request(op, fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
  }
  /** `getChannelAttributes` / `getChannelAttributesByKeys`; no membership needed. */
  async getChannel(channelId, keys) {
    this.loggedIn();
    if (!isValidUserId(channelId)) throw invalid("invalid channel id");
    if (keys !== void 0) checkKeys(keys);
    this.within("get_channel_attrs", CHANNEL_READ_RATE);
    const fields = keys === void 0 ? { channel: channelId } : { channel: channelId, keys: [...keys] };
    const result = await this.link.request("get_channel_attrs", fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    return attributesFromWire(result?.attrs);
  }
  /** A new session after a lost one starts with none: write them again (protocol §3.17). */
  async restore(send) {
    if (Object.keys(this.local).length === 0) return;
    try {
      await send("set_user_attrs", { attrs: { ...this.local } });
    } catch {
    }
  }
  /** The session is over: its user attributes are gone with it (protocol §3.17). */
  clear() {
    this.local = {};
  }
  async writeLocal(op, fields, result) {
    this.within("user_attribute_writes", USER_WRITE_RATE);
    await this.link.request(op, fields, E.USER_NOT_LOGGED_IN, E.TIMEOUT);
    this.local = result;
  }
  loggedIn() {
    if (!this.link.loggedIn()) {
      throw rtmError(E.USER_NOT_LOGGED_IN, "RtmInvalidStatusError", "not logged in");
    }
  }
  within(key, limit2) {
    if (this.link.rates.within([key, limit2]) >= 0) {
      throw rtmError(E.TOO_OFTEN, "RtmLimitExceededError", "called too often");
    }
  }
};
function invalid(message) {
  return rtmError(E.INVALID_ARGUMENT, "RtmInvalidArgumentError", message);
}
function checkMap(attrs, totalLimit) {
  if (isPlainObject(attrs) && Object.keys(attrs).length === 0) throw invalid("no attributes given");
  const problem = mapError(attrs, totalLimit);
  if (problem === null) return;
  if (problem[0]) throw rtmError(E.SIZE_OVERFLOW, "RtmLimitExceededError", problem[1]);
  throw invalid(problem[1]);
}
function mapError(attrs, totalLimit) {
  if (!isPlainObject(attrs)) return [false, "attributes are a map of strings to strings"];
  let total = 0;
  const entries = Object.entries(attrs);
  for (const [key, value] of entries) {
    if (typeof value !== "string") return [false, "attribute keys and values are strings"];
    const keySize = utf8Size(key);
    const valueSize = utf8Size(value);
    if (keySize === 0 || keySize > MAX_KEY_BYTES) return [false, "an attribute key is 1 to 32 bytes"];
    if (valueSize === 0) return [false, "an attribute value may not be empty"];
    if (valueSize > MAX_VALUE_BYTES) return [true, "an attribute value is at most 8 KB"];
    total += keySize + valueSize;
  }
  if (entries.length > MAX_PAIRS) return [true, "at most 32 attributes"];
  if (total > totalLimit) return [true, `attributes total at most ${totalLimit / 1024} KB`];
  return null;
}
function checkKeys(keys) {
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_PAIRS) {
    throw invalid("1 to 32 keys");
  }
  for (const key of keys) {
    if (typeof key !== "string" || utf8Size(key) === 0 || utf8Size(key) > MAX_KEY_BYTES) {
      throw invalid("an attribute key is 1 to 32 bytes");
    }
  }
}
function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// src/invitation-states.ts
var InvitationApiCallError = {
  INVALID_ARGUMENT: 1,
  NOT_STARTED: 2,
  ALREADY_END: 3,
  ALREADY_ACCEPT: 4,
  ALREADY_SENT: 5,
  NOT_LOGGED_IN: 102,
  EXCEED_LIMIT: 103
};
var E2 = InvitationApiCallError;
var LOCAL_ENDS = [LocalInvitationState.ACCEPTED_BY_REMOTE, LocalInvitationState.REFUSED_BY_REMOTE, LocalInvitationState.CANCELED, LocalInvitationState.FAILURE];
var LOCAL_ENDED = new Set(LOCAL_ENDS);
var LOCAL_TRANSITIONS = {
  // send(); or send() while not logged in, which fails with NOT_LOGGEDIN.
  [LocalInvitationState.IDLE]: [LocalInvitationState.SENT_TO_REMOTE, LocalInvitationState.FAILURE],
  [LocalInvitationState.SENT_TO_REMOTE]: [LocalInvitationState.RECEIVED_BY_REMOTE, ...LOCAL_ENDS],
  // A callee may answer without acknowledging first (protocol §3.21): hence both rows.
  [LocalInvitationState.RECEIVED_BY_REMOTE]: LOCAL_ENDS
};
var LOCAL_EVENTS = {
  [LocalInvitationState.RECEIVED_BY_REMOTE]: "LocalInvitationReceivedByPeer",
  [LocalInvitationState.ACCEPTED_BY_REMOTE]: "LocalInvitationAccepted",
  // (response)
  [LocalInvitationState.REFUSED_BY_REMOTE]: "LocalInvitationRefused",
  // (response)
  [LocalInvitationState.CANCELED]: "LocalInvitationCanceled",
  [LocalInvitationState.FAILURE]: "LocalInvitationFailure"
  // (reason)
};
var endedBy = (states, code) => Object.fromEntries(states.map((s) => [s, code]));
var LOCAL_CALL_ERRORS = {
  send: {
    [LocalInvitationState.SENT_TO_REMOTE]: E2.ALREADY_SENT,
    [LocalInvitationState.RECEIVED_BY_REMOTE]: E2.ALREADY_SENT,
    ...endedBy(LOCAL_ENDS, E2.ALREADY_END)
  },
  cancel: { [LocalInvitationState.IDLE]: E2.NOT_STARTED, ...endedBy(LOCAL_ENDS, E2.ALREADY_END) }
};
var REMOTE_ENDS = [RemoteInvitationState.REFUSED, RemoteInvitationState.ACCEPTED, RemoteInvitationState.CANCELED, RemoteInvitationState.FAILURE];
var REMOTE_ENDED = new Set(REMOTE_ENDS);
var REMOTE_TRANSITIONS = {
  // accept(); refuse() once the server has it; the caller cancelled; a failure.
  [RemoteInvitationState.INVITATION_RECEIVED]: [RemoteInvitationState.ACCEPT_SENT_TO_LOCAL, RemoteInvitationState.REFUSED, RemoteInvitationState.CANCELED, RemoteInvitationState.FAILURE],
  // The caller's SDK confirmed the acceptance (ACCEPTED), or did not in time (FAILURE).
  [RemoteInvitationState.ACCEPT_SENT_TO_LOCAL]: [RemoteInvitationState.ACCEPTED, RemoteInvitationState.CANCELED, RemoteInvitationState.FAILURE]
};
var REMOTE_EVENTS = {
  [RemoteInvitationState.ACCEPTED]: "RemoteInvitationAccepted",
  [RemoteInvitationState.REFUSED]: "RemoteInvitationRefused",
  [RemoteInvitationState.CANCELED]: "RemoteInvitationCanceled",
  // (content)
  [RemoteInvitationState.FAILURE]: "RemoteInvitationFailure"
  // (reason)
};
var answering = {
  [RemoteInvitationState.ACCEPT_SENT_TO_LOCAL]: E2.ALREADY_ACCEPT,
  ...endedBy(REMOTE_ENDS, E2.ALREADY_END)
};
var REMOTE_CALL_ERRORS = {
  accept: answering,
  refuse: answering
};

// src/invitations.ts
var E3 = InvitationApiCallError;
var MAX_TEXT_BYTES = 8 * 1024;
var REQUEST_TIMEOUT_MS2 = 1e4;
var ATTEMPTS = 3;
var UNANSWERED = 0;
var INVITATION_PUSHES = /* @__PURE__ */ new Set([
  "call_invite",
  "call_local",
  "call_remote"
]);
function invalid2(message) {
  return rtmError(E3.INVALID_ARGUMENT, "RtmInvalidArgumentError", message);
}
function readOnly(field) {
  throw invalid2(`${field} is read-only`);
}
function textError(text, channelId = "") {
  if (typeof text !== "string" || typeof channelId !== "string") return "not a string";
  if (text.length * 3 > MAX_TEXT_BYTES && utf8Size(text) > MAX_TEXT_BYTES) return "over 8 KB";
  if (channelId !== "" && !isValidUserId(channelId)) return "invalid channel id";
  return null;
}
var Lifecycle = class extends EventEmitter {
  constructor(calls, transitions, events, callErrors) {
    super();
    this.calls = calls;
    this.transitions = transitions;
    this.events = events;
    this.callErrors = callErrors;
  }
  check(call) {
    const code = this.callErrors[call]?.[this.state_];
    if (code !== void 0) {
      const message = `cannot ${call} an invitation in state ${this.state_}`;
      throw rtmError(code, "RtmInvalidStatusError", message);
    }
  }
  /** Move to `state` if the table allows it, and emit its event; false when it does not. */
  reach(state, ...args) {
    if (!this.transitions[this.state_]?.includes(state)) return false;
    this.state_ = state;
    const event = this.events[state];
    if (event !== void 0) this.calls.host.fire(this, event, ...args);
    return true;
  }
};
var LocalInvitation = class extends Lifecycle {
  constructor(calls, calleeId_) {
    super(calls, LOCAL_TRANSITIONS, LOCAL_EVENTS, LOCAL_CALL_ERRORS);
    this.calleeId_ = calleeId_;
    this.state_ = LocalInvitationState.IDLE;
    /** What to tell the callee: at most 8 KB of UTF-8, checked by `send()`. */
    this.content = "";
    /** A channel id for legacy Signaling interop; nobody joins it (checked by `send()`). */
    this.channelId = "";
    this.response_ = "";
    /** Protocol §3.21: the caller's name for this invitation, new for every one. */
    this.call = randomHex(16);
  }
  /** The invited user. */
  get calleeId() {
    return this.calleeId_;
  }
  set calleeId(_) {
    readOnly("calleeId");
  }
  /** The callee's response, once it accepted or refused. */
  get response() {
    return this.response_;
  }
  set response(_) {
    readOnly("response");
  }
  get state() {
    return this.state_;
  }
  set state(_) {
    readOnly("state");
  }
  /**
   * Send the invitation. Throws code 5 when already sent, 3 when ended (`RtmInvalidStatusError`),
   * 1 for a content over 8 KB or an invalid channel id (`RtmInvalidArgumentError`). Not
   * logged in is `LocalInvitationFailure("NOT_LOGGEDIN")`, as in the Web SDK.
   */
  send() {
    this.check("send");
    const problem = textError(this.content, this.channelId);
    if (problem !== null) throw invalid2(`invalid invitation: ${problem}`);
    this.calls.send(this);
  }
  /** Cancel the sent invitation; `LocalInvitationCanceled` follows. Throws 2 not sent, 3 ended. */
  cancel() {
    this.check("cancel");
    this.calls.cancel(this);
  }
  reach(state, ...args) {
    const answered = state === LocalInvitationState.ACCEPTED_BY_REMOTE || state === LocalInvitationState.REFUSED_BY_REMOTE;
    if (answered && LOCAL_TRANSITIONS[this.state_]?.includes(state)) {
      this.response_ = String(args[0] ?? "");
    }
    return super.reach(state, ...args);
  }
};
var RemoteInvitation = class extends Lifecycle {
  constructor(calls, callerId_, call, content_, channelId_) {
    super(calls, REMOTE_TRANSITIONS, REMOTE_EVENTS, REMOTE_CALL_ERRORS);
    this.callerId_ = callerId_;
    this.call = call;
    this.content_ = content_;
    this.channelId_ = channelId_;
    this.state_ = RemoteInvitationState.INVITATION_RECEIVED;
    /** What to tell the caller with `accept()` or `refuse()`: at most 8 KB of UTF-8. */
    this.response = "";
  }
  /** The user who sent the invitation. */
  get callerId() {
    return this.callerId_;
  }
  set callerId(_) {
    readOnly("callerId");
  }
  /** What the caller said. */
  get content() {
    return this.content_;
  }
  set content(_) {
    readOnly("content");
  }
  /** The caller's channel id, if it set one (legacy Signaling interop). */
  get channelId() {
    return this.channelId_;
  }
  set channelId(_) {
    readOnly("channelId");
  }
  get state() {
    return this.state_;
  }
  set state(_) {
    readOnly("state");
  }
  /**
   * Accept; `RemoteInvitationAccepted` follows once the caller's SDK confirms it. Throws 4
   * while accepting, 3 when ended, 1 for a response over 8 KB.
   */
  accept() {
    this.checkAnswer("accept");
    this.calls.answer(this, true);
  }
  /** Refuse; `RemoteInvitationRefused` follows once the server has it. Throws 4, 3, 1. */
  refuse() {
    this.checkAnswer("refuse");
    this.calls.answer(this, false);
  }
  checkAnswer(call) {
    this.check(call);
    const problem = textError(this.response);
    if (problem !== null) throw invalid2(`invalid response: ${problem}`);
  }
};
var Invitations = class {
  constructor(host) {
    this.host = host;
    /** Sent ones, by call id; received ones, by (caller, call id). */
    this.local = /* @__PURE__ */ new Map();
    this.remote = /* @__PURE__ */ new Map();
  }
  /** `createLocalInvitation`: code 1 for an invalid callee id (spec §1.2, §5.1). */
  create(calleeId) {
    if (!isValidUserId(calleeId)) throw invalid2("invalid callee id");
    return new LocalInvitation(this, calleeId);
  }
  // --- API calls -------------------------------------------------------------------------
  send(invitation) {
    if (this.host.connection() === null && !this.host.reconnecting()) {
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
      channel: invitation.channelId
    };
    this.request("call_invite", fields).catch((error) => {
      const reason = error.code === E3.NOT_LOGGED_IN ? LocalInvitationFailureReason.NOT_LOGGEDIN : LocalInvitationFailureReason.UNKNOWN;
      this.localReached(invitation, LocalInvitationState.FAILURE, reason);
    });
  }
  cancel(invitation) {
    this.request("call_cancel", { call: invitation.call }).then(
      () => this.localReached(invitation, LocalInvitationState.CANCELED),
      () => {
      }
    );
  }
  answer(invitation, accept) {
    if (accept) invitation.reach(RemoteInvitationState.ACCEPT_SENT_TO_LOCAL);
    const fields = {
      caller: invitation.callerId,
      call: invitation.call,
      accept,
      response: invitation.response
    };
    this.request("call_answer", fields).then(
      () => {
        if (!accept) this.remoteReached(invitation, RemoteInvitationState.REFUSED);
      },
      () => {
        const reason = accept ? RemoteInvitationFailureReason.ACCEPT_FAILURE : RemoteInvitationFailureReason.UNKNOWN;
        this.remoteReached(invitation, RemoteInvitationState.FAILURE, reason);
      }
    );
  }
  /**
   * One request of this login session: waits out a reconnection (spec §1.2), is sent again
   * when its answer was lost with the link (resumed on the same session), and is never sent
   * on a new session, which does not hold the invitation (protocol §9 items 20, 21).
   */
  async request(op, fields) {
    const session = this.host.session();
    for (let attempt = 1; ; attempt++) {
      let conn = this.host.connection();
      if (conn === null && this.host.reconnecting()) {
        conn = await this.host.whenReconnected(REQUEST_TIMEOUT_MS2);
        if (conn === null && this.host.reconnecting()) {
          throw rtmError(UNANSWERED, "RtmTimeoutError", "still reconnecting");
        }
      }
      if (conn === null || this.host.session() !== session) {
        throw rtmError(E3.NOT_LOGGED_IN, "RtmInvalidStatusError", "the login session ended");
      }
      try {
        await conn.request(op, fields, REQUEST_TIMEOUT_MS2, UNANSWERED);
        return;
      } catch (error) {
        const unanswered = error.serverCode === void 0;
        if (!unanswered || attempt === ATTEMPTS) throw error;
      }
    }
  }
  // --- pushes ----------------------------------------------------------------------------
  /**
   * A push of protocol §3.21, acknowledged on the connection it came on (which may not be
   * the client's yet, right behind a login reply: protocol §9 item 8).
   */
  onPush(frame, conn) {
    const call = String(frame.call ?? "");
    if (frame.t === "call_invite") {
      const caller = String(frame.from ?? "");
      try {
        const key = JSON.stringify([caller, call]);
        if (!this.remote.has(key)) {
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
      const state = frame.state;
      if (invitation === void 0) return;
      const args = state === LocalInvitationState.FAILURE ? [String(frame.reason ?? LocalInvitationFailureReason.UNKNOWN)] : state === LocalInvitationState.RECEIVED_BY_REMOTE ? [] : [String(frame.response ?? "")];
      const reached = this.localReached(invitation, state, ...args);
      if (reached && state === LocalInvitationState.ACCEPTED_BY_REMOTE) {
        conn.send({ op: "call_accepted", call });
      }
    } else if (frame.t === "call_remote") {
      const invitation = this.remote.get(JSON.stringify([String(frame.from ?? ""), call]));
      if (invitation === void 0) return;
      const state = frame.state;
      const args = state === RemoteInvitationState.CANCELED ? [invitation.content] : state === RemoteInvitationState.FAILURE ? [String(frame.reason ?? RemoteInvitationFailureReason.UNKNOWN)] : [];
      this.remoteReached(invitation, state, ...args);
    }
  }
  /** The login session ended: every open invitation ends with it (protocol §9 item 21). */
  sessionOver() {
    for (const invitation of [...this.local.values()]) {
      const reason = LocalInvitationFailureReason.NOT_LOGGEDIN;
      this.localReached(invitation, LocalInvitationState.FAILURE, reason);
    }
    for (const invitation of [...this.remote.values()]) {
      const reason = RemoteInvitationFailureReason.UNKNOWN;
      this.remoteReached(invitation, RemoteInvitationState.FAILURE, reason);
    }
  }
  localReached(invitation, state, ...args) {
    const reached = invitation.reach(state, ...args);
    if (LOCAL_ENDED.has(state) && this.local.get(invitation.call) === invitation) {
      this.local.delete(invitation.call);
    }
    return reached;
  }
  remoteReached(invitation, state, ...args) {
    const reached = invitation.reach(state, ...args);
    const key = JSON.stringify([invitation.callerId, invitation.call]);
    if (REMOTE_ENDED.has(state) && this.remote.get(key) === invitation) this.remote.delete(key);
    return reached;
  }
};
function randomHex(length) {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// src/media.ts
var UploadMediaError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TIMEOUT: 3,
  SIZE_OVERFLOW: 4,
  CONCURRENCY_LIMIT_EXCEEDED: 5,
  INTERRUPTED: 6,
  NOT_LOGGED_IN: 102
};
var DownloadMediaError = {
  FAILURE: 1,
  INVALID_ARGUMENT: 2,
  TIMEOUT: 3,
  NOT_EXIST: 4,
  CONCURRENCY_LIMIT_EXCEEDED: 5,
  INTERRUPTED: 6,
  NOT_LOGGED_IN: 102
};
var MAX_MEDIA_BYTES = 30 * 1024 * 1024;
var MAX_CONCURRENT_TRANSFERS = 9;
var PROGRESS_EVERY_MS = 1e3;
var STALL_TIMEOUT_MS = 12e4;
function transferError(kind, code, message) {
  const names = {
    1: "RtmUnavailableError",
    2: "RtmInvalidArgumentError",
    3: "RtmTimeoutError",
    4: kind === "upload" ? "RtmLimitExceededError" : "RtmInvalidArgumentError",
    5: "RtmLimitExceededError"
  };
  return rtmError(code, names[code] ?? "RtmInvalidStatusError", message);
}
function mediaSession(reply, websocketUrl) {
  const r = reply ?? {};
  if (typeof r.media_ticket !== "string") return null;
  let httpUrl;
  if (typeof r.http === "string") {
    httpUrl = r.http.endsWith("/") ? r.http : `${r.http}/`;
  } else if (typeof r.http_port === "number") {
    const ws = new URL(websocketUrl);
    const scheme = ws.protocol === "wss:" ? "https:" : "http:";
    httpUrl = `${scheme}//${ws.hostname}:${r.http_port}/`;
  } else {
    return null;
  }
  return { httpUrl, ticket: r.media_ticket };
}
var MediaTransfers = class {
  constructor(link) {
    this.link = link;
    this.active = 0;
  }
  /** `createMediaMessageByUploading` (spec §1.2): upload `blob`, resolve the message to send. */
  async upload(blob, params, handler) {
    const invalid5 = (message) => transferError("upload", UploadMediaError.INVALID_ARGUMENT, message);
    const p = params ?? {};
    if (typeof p !== "object") throw invalid5("params are an object");
    const type = p.messageType ?? MessageType.FILE;
    if (type !== MessageType.FILE && type !== MessageType.IMAGE) {
      throw invalid5("messageType is FILE or IMAGE");
    }
    const fileName = p.fileName ?? "";
    const description = p.description ?? "";
    const problem = mediaPartsError({ ...p, fileName, description });
    if (problem !== null) throw invalid5(problem);
    const checked = checkHandler(handler);
    if (checked !== null) throw invalid5(checked);
    if (!(blob instanceof Blob)) throw invalid5("the object is a Blob");
    if (blob.size === 0) throw invalid5("the object is empty");
    if (blob.size > MAX_MEDIA_BYTES) {
      const code = UploadMediaError.SIZE_OVERFLOW;
      throw transferError("upload", code, `the object is over ${MAX_MEDIA_BYTES} bytes`);
    }
    const thumbnail = p.thumbnail instanceof Blob ? p.thumbnail : void 0;
    const session = this.begin("upload");
    let result;
    try {
      if (thumbnail !== void 0) {
        await Promise.resolve(thumbnailBytes(thumbnail)).catch(() => {
          throw invalid5("the thumbnail cannot be read");
        });
      }
      const xhr = new XMLHttpRequest();
      xhr.open("POST", `${session.httpUrl}media`);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      const body = await this.run("upload", xhr, session, blob.size, handler, xhr.upload, blob);
      result = parseUploadResult(body);
    } finally {
      this.active--;
    }
    const file = { mediaId: result.media_id, fileName, description, size: result.size, thumbnail };
    if (type === MessageType.FILE) return { ...file, messageType: "FILE" };
    return {
      ...file,
      width: p.width || result.width || 0,
      height: p.height || result.height || 0,
      thumbnailWidth: p.thumbnailWidth ?? 0,
      thumbnailHeight: p.thumbnailHeight ?? 0,
      messageType: "IMAGE"
    };
  }
  /** `downloadMedia` (spec §1.2): the object as a Blob whose type is sniffed. */
  async download(mediaId, handler) {
    const code = DownloadMediaError.INVALID_ARGUMENT;
    const checked = checkHandler(handler);
    if (checked !== null) throw transferError("download", code, checked);
    if (typeof mediaId !== "string" || mediaId === "") {
      throw transferError("download", code, "a media id is a non-empty string");
    }
    const session = this.begin("download");
    try {
      const xhr = new XMLHttpRequest();
      xhr.open("GET", `${session.httpUrl}media/${encodeURIComponent(mediaId)}`);
      const bytes = new Uint8Array(await this.run("download", xhr, session, 0, handler, xhr));
      return new Blob([bytes], { type: sniffMime(bytes) });
    } finally {
      this.active--;
    }
  }
  /** Check the login and take a transfer slot (spec §5.2: at most 9). */
  begin(kind) {
    const session = this.link.session();
    if (session === null) throw transferError(kind, 102, "not logged in");
    if (this.active >= MAX_CONCURRENT_TRANSFERS) {
      throw transferError(kind, 5, `${MAX_CONCURRENT_TRANSFERS} transfers under way`);
    }
    this.active++;
    return session;
  }
  /**
   * Run one request (opened by the caller) with its progress reports, its stall timeout and
   * its cancel signal; resolve the 200 answer's body, reject with the §4.16 error.
   */
  run(kind, xhr, session, total, handler, progressOf, body = null) {
    const transfer = { current: 0, total, movedAt: Date.now() };
    const signal = handler?.cancelSignal;
    const report = () => {
      try {
        handler?.onOperationProgress?.({ currentSize: transfer.current, totalSize: transfer.total });
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    };
    return new Promise((resolve, reject) => {
      let reported = 0;
      let nextReport = Date.now() + PROGRESS_EVERY_MS;
      let done = false;
      const finish = (error, result) => {
        if (done) return;
        done = true;
        clearInterval(watch);
        signal?.removeEventListener("abort", cancel);
        if (error !== null) {
          xhr.abort();
          reject(error);
          return;
        }
        report();
        resolve(result);
      };
      const cancel = () => finish(transferError(kind, 6, "cancelled"), void 0);
      const watch = setInterval(() => {
        const now = Date.now();
        if (now - transfer.movedAt >= STALL_TIMEOUT_MS) {
          finish(transferError(kind, 3, `no progress for ${STALL_TIMEOUT_MS / 1e3} s`));
        } else if (now >= nextReport && transfer.current !== reported) {
          reported = transfer.current;
          nextReport = now + PROGRESS_EVERY_MS;
          report();
        }
      }, Math.min(PROGRESS_EVERY_MS, STALL_TIMEOUT_MS / 4));
      progressOf.onprogress = (event) => {
        if (event.loaded !== transfer.current) transfer.movedAt = Date.now();
        transfer.current = event.loaded;
        if (event.lengthComputable) transfer.total = event.total;
      };
      xhr.responseType = "arraybuffer";
      xhr.onload = () => {
        const answer = xhr.response;
        if (xhr.status === 200 && answer !== null) {
          if (kind === "download") {
            transfer.current = answer.byteLength;
            transfer.total = answer.byteLength;
          } else transfer.current = transfer.total;
          finish(null, answer);
        } else {
          finish(refusal(kind, xhr.status, answer));
        }
      };
      xhr.onerror = () => finish(transferError(kind, 1, "the transfer failed"));
      if (signal?.aborted) {
        cancel();
        return;
      }
      signal?.addEventListener("abort", cancel);
      xhr.setRequestHeader("Authorization", `Bearer ${session.ticket}`);
      xhr.send(body);
    });
  }
};
function checkHandler(handler) {
  if (handler === void 0 || handler === null) return null;
  if (typeof handler !== "object") return "a handler is an object";
  const { cancelSignal, onOperationProgress } = handler;
  if (cancelSignal !== void 0 && !(cancelSignal instanceof AbortSignal)) {
    return "cancelSignal is an AbortSignal";
  }
  if (onOperationProgress !== void 0 && typeof onOperationProgress !== "function") {
    return "onOperationProgress is a function";
  }
  return null;
}
function parseUploadResult(body) {
  try {
    const result = JSON.parse(new TextDecoder().decode(body));
    if (typeof result.media_id === "string" && typeof result.size === "number") return result;
  } catch {
  }
  throw transferError("upload", 1, "the server's answer is not an upload result");
}
function refusal(kind, status2, body) {
  try {
    const answer = JSON.parse(new TextDecoder().decode(body ?? new ArrayBuffer(0)));
    if (typeof answer.code === "number" && typeof answer.name === "string") {
      const message = typeof answer.message === "string" ? answer.message : `HTTP ${status2}`;
      const error = rtmError(answer.code, answer.name, message);
      error.serverCode = answer.code;
      return error;
    }
  } catch {
  }
  return transferError(kind, 1, `the server answered HTTP ${status2}`);
}

// src/connection-states.ts
var SESSION_ENDS = {
  [7 /* KICKED */]: [ConnectionState.ABORTED, null],
  [6 /* CLOSED */]: [ConnectionState.DISCONNECTED, ConnectionChangeReason.INTERRUPTED],
  [4 /* LOGOUT */]: [ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT]
};
var TRANSITIONS = {
  [ConnectionState.DISCONNECTED]: { [0 /* LOGIN */]: [ConnectionState.CONNECTING, ConnectionChangeReason.LOGIN] },
  [ConnectionState.CONNECTING]: {
    [1 /* ACCEPTED */]: [ConnectionState.CONNECTED, ConnectionChangeReason.LOGIN_SUCCESS],
    [2 /* REJECTED */]: [ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGIN_FAILURE],
    [3 /* TIMED_OUT */]: [ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGIN_TIMEOUT],
    [4 /* LOGOUT */]: [ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT]
  },
  [ConnectionState.CONNECTED]: { [5 /* LINK_LOST */]: [ConnectionState.RECONNECTING, ConnectionChangeReason.INTERRUPTED], ...SESSION_ENDS },
  [ConnectionState.RECONNECTING]: {
    [1 /* ACCEPTED */]: [ConnectionState.CONNECTED, ConnectionChangeReason.LOGIN_SUCCESS],
    // A re-login refused for good (bad argument, App ID or token); an expired token is not
    // final and keeps RECONNECTING (spec §3.2), as session.ts decides.
    [2 /* REJECTED */]: [ConnectionState.ABORTED, ConnectionChangeReason.LOGIN_FAILURE],
    ...SESSION_ENDS
  },
  [ConnectionState.ABORTED]: { [4 /* LOGOUT */]: [ConnectionState.DISCONNECTED, ConnectionChangeReason.LOGOUT] }
};
function nextState(state, trigger, kickReason = ConnectionChangeReason.INTERRUPTED) {
  const move = TRANSITIONS[state][trigger];
  return move ? [move[0], move[1] ?? kickReason] : null;
}
var RECONNECT_CODES = /* @__PURE__ */ new Set([1001, 1005, 1006, 1011, 1012, 1013, 4004, 4005]);
var KICK_REASONS = {
  4001: ConnectionChangeReason.REMOTE_LOGIN,
  4002: ConnectionChangeReason.TOKEN_EXPIRED,
  4003: ConnectionChangeReason.BANNED_BY_SERVER
};
function closeTrigger(code) {
  if (RECONNECT_CODES.has(code)) return [5 /* LINK_LOST */];
  return code === 1e3 ? [6 /* CLOSED */] : [7 /* KICKED */, KICK_REASONS[code]];
}

// src/session-state.ts
var REQUEST_TIMEOUT_MS3 = 1e4;
var SessionState = class extends EventEmitter {
  constructor() {
    super(...arguments);
    this.state = ConnectionState.DISCONNECTED;
    /** The logged-in connection; null before login, after the session, and while the link is lost. */
    this.conn = null;
    this.loggingOut = null;
    /** Who is logged in, and the session to resume after a lost link (protocol §3.1). */
    this.credentials = null;
    this.sessionId = null;
    /** The session's media base URL and ticket, from its login reply (protocol §3.1, §10.1). */
    this.media = null;
    /** Requests waiting for a reconnection to end (spec §1.2: up to their timeout). */
    this.waiters = /* @__PURE__ */ new Set();
  }
  /** The connection state (spec §3.1). */
  get connectionState() {
    return this.state;
  }
  /** The logged-in connection while CONNECTED (and not logging out), else null. */
  connection() {
    return this.state === ConnectionState.CONNECTED && !this.loggingOut ? this.conn : null;
  }
  /** True while RECONNECTING with the session kept (and not logging out). */
  reconnecting() {
    return this.state === ConnectionState.RECONNECTING && !this.loggingOut;
  }
  /** Logged in: CONNECTED, or RECONNECTING with the session kept. */
  loggedIn() {
    const state = this.state;
    return this.credentials !== null && !this.loggingOut && (state === ConnectionState.CONNECTED || state === ConnectionState.RECONNECTING);
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
        resolve(this.connection());
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }
  /**
   * The logged-in connection: at once when CONNECTED, after the reconnection while
   * RECONNECTING (spec §1.2: a request waits for the link, within its timeout, else
   * `timeoutCode`); refused with `notLoggedIn` otherwise.
   */
  async connected(notLoggedIn, timeoutCode) {
    let conn = this.connection();
    if (conn === null && this.reconnecting()) {
      conn = await this.whenReconnected(REQUEST_TIMEOUT_MS3);
      if (conn === null && this.reconnecting()) {
        throw rtmError(timeoutCode, "RtmTimeoutError", "not reconnected in time");
      }
    }
    if (conn === null) throw rtmError(notLoggedIn, "RtmInvalidStatusError", "not logged in");
    return conn;
  }
  /** One request on the session (protocol §2), sent once `connected`, within 10 s in all. */
  async request(op, fields, notLoggedIn, timeoutCode) {
    const started = Date.now();
    const conn = await this.connected(notLoggedIn, timeoutCode);
    return conn.request(op, fields, remainingMs(started), timeoutCode);
  }
  /** Move along the table (connection-states.ts); a move it has no row for changes nothing. */
  move(trigger, kickReason) {
    const next = nextState(this.state, trigger, kickReason);
    if (next === null) return;
    this.state = next[0];
    this.fire("ConnectionStateChanged", ...next);
    if (this.state !== ConnectionState.RECONNECTING) {
      for (const waiter of [...this.waiters]) waiter();
    }
  }
  /** Emit one of the client's events, shielded from listeners that throw (emitter.ts). */
  fire(event, ...args) {
    fire(this, event, args);
  }
};
function remainingMs(started) {
  return Math.max(1, REQUEST_TIMEOUT_MS3 - (Date.now() - started));
}

// src/peer-messages.ts
var MESSAGE_BUDGET = 180;
var MESSAGE_WINDOW_MS = 3e3;
var SEEN_MESSAGES = 4096;
var PeerMessages = class {
  constructor(connected, fire2) {
    this.connected = connected;
    this.fire = fire2;
    this.midPrefix = randomHex2(8);
    this.midCounter = 0;
    this.sendTimes = [];
    this.seen = /* @__PURE__ */ new Set();
  }
  /**
   * Send a peer message (spec §1.2 `sendMessageToPeer`, §6.1; protocol §3.4). Resolves
   * `{hasPeerReceived}`: true once the peer's SDK acknowledged it; an offline peer is not an
   * error. Codes (spec §4.4): 6 bad peer id, 7 bad message, 102 not logged in, 5 over 180
   * messages in 3 s, 2 no answer.
   */
  async send(message, peerId, options) {
    if (!isValidUserId(peerId)) {
      throw rtmError(PeerMessageError.INVALID_USERID, "RtmInvalidArgumentError", "invalid peer id");
    }
    const wire = toWire(message);
    const msg = wire instanceof Promise ? await wire : wire;
    const started = Date.now();
    const timeoutCode = PeerMessageError.TIMEOUT;
    const conn = await this.connected(PeerMessageError.USER_NOT_LOGGED_IN, timeoutCode);
    if (!this.takeBudget()) {
      const code = PeerMessageError.TOO_OFTEN;
      throw rtmError(code, "RtmLimitExceededError", "over 180 messages in 3 s");
    }
    const fields = { to: peerId, mid: this.nextMid(), msg };
    if (options?.enableOfflineMessaging) fields.offline = true;
    if (options?.enableHistoricalMessaging) fields.history = true;
    const result = await conn.request("peer_msg", fields, remainingMs(started), timeoutCode);
    return { hasPeerReceived: result?.received === true };
  }
  /** Spec §5.4: take one message from the budget peer and channel messages share. */
  takeBudget() {
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
  /**
   * A peer message (protocol §3.5): hand it to the app, then acknowledge it — every push, even
   * a redelivery (same sender and `mid`, spec §6.5) that is not shown again. Acked on the
   * connection it came on, which may not be the session's yet right after a re-login.
   */
  onPush(frame, conn) {
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
};
function randomHex2(length) {
  const bytes = crypto.getRandomValues(new Uint8Array(length / 2));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// src/presence.ts
var MAX_QUERY_PEERS = 256;
var MAX_SUBSCRIBED_PEERS = 512;
var MAX_MEMBER_COUNT_CHANNELS = 32;
var QUERY_ONLINE_RATE = { calls: 10, windowMs: 5e3 };
var SUBSCRIBE_RATE = { calls: 10, windowMs: 5e3 };
var QUERY_SUBSCRIPTIONS_RATE = { calls: 10, windowMs: 5e3 };
var MEMBER_COUNT_RATE = { calls: 1, windowMs: 1e3 };
var QueryPeersOnlineStatusError = {
  INVALID_ARGUMENT: 2,
  TIMEOUT: 4,
  TOO_OFTEN: 5,
  USER_NOT_LOGGED_IN: 102
};
var PeerSubscriptionStatusError = {
  INVALID_ARGUMENT: 2,
  TIMEOUT: 4,
  TOO_OFTEN: 5,
  OVERFLOW: 6,
  USER_NOT_LOGGED_IN: 102
};
var QueryPeersBySubscriptionOptionError = {
  TIMEOUT: 2,
  TOO_OFTEN: 3,
  USER_NOT_LOGGED_IN: 102
};
var GetChannelMemberCountError = {
  INVALID_ARGUMENT: 2,
  TOO_OFTEN: 3,
  TIMEOUT: 4,
  EXCEED_LIMIT: 5,
  USER_NOT_LOGGED_IN: 102
};
var Presence = class {
  constructor(link) {
    this.link = link;
    /** Followed peers and their last known state (null until the first push). */
    this.following = /* @__PURE__ */ new Map();
  }
  /** `queryPeersOnlineStatus` (spec §1.2): `{peerId: boolean}`; codes 102, 2, 5, 4. */
  async query(peerIds) {
    const E4 = QueryPeersOnlineStatusError;
    this.loggedIn(E4.USER_NOT_LOGGED_IN);
    const problem = peerIdsError(peerIds, MAX_QUERY_PEERS);
    if (problem !== null) throw invalid3(E4.INVALID_ARGUMENT, problem);
    this.within("query_online", QUERY_ONLINE_RATE, E4.TOO_OFTEN, "over 10 calls in 5 s");
    const fields = { peers: peerIds };
    const result = await this.link.request("query_online", fields, E4.USER_NOT_LOGGED_IN, E4.TIMEOUT);
    const online = { ...result?.online ?? {} };
    const changed = {};
    for (const [uid, up] of Object.entries(online)) {
      if (this.following.has(uid)) changed[uid] = up ? "ONLINE" : "OFFLINE";
    }
    this.onPush(changed);
    return online;
  }
  /** `subscribePeersOnlineStatus`: codes 102, 2, 6 (over 512 in all), 5, 4. */
  async subscribe(peerIds) {
    const E4 = PeerSubscriptionStatusError;
    this.loggedIn(E4.USER_NOT_LOGGED_IN);
    const problem = peerIdsError(peerIds, null);
    if (problem !== null) throw invalid3(E4.INVALID_ARGUMENT, problem);
    const added = [...new Set(peerIds)].filter((uid) => !this.following.has(uid));
    if (this.following.size + added.length > MAX_SUBSCRIBED_PEERS) {
      throw rtmError(E4.OVERFLOW, "RtmLimitExceededError", "over 512 subscribed peers");
    }
    this.within("subscribe", SUBSCRIBE_RATE, E4.TOO_OFTEN, "over 10 calls in 5 s");
    for (const uid of added) this.following.set(uid, null);
    try {
      await this.link.request("subscribe", { peers: peerIds }, E4.USER_NOT_LOGGED_IN, E4.TIMEOUT);
    } catch (error) {
      for (const uid of added) this.following.delete(uid);
      throw error;
    }
  }
  /** `unsubscribePeersOnlineStatus`: codes 102, 6 (over 512 ids), 2, 5, 4. */
  async unsubscribe(peerIds) {
    const E4 = PeerSubscriptionStatusError;
    this.loggedIn(E4.USER_NOT_LOGGED_IN);
    if (Array.isArray(peerIds) && peerIds.length > MAX_SUBSCRIBED_PEERS) {
      throw rtmError(E4.OVERFLOW, "RtmLimitExceededError", "over 512 ids in one call");
    }
    const problem = peerIdsError(peerIds, MAX_SUBSCRIBED_PEERS);
    if (problem !== null) throw invalid3(E4.INVALID_ARGUMENT, problem);
    this.within("subscribe", SUBSCRIBE_RATE, E4.TOO_OFTEN, "over 10 calls in 5 s");
    await this.link.request("unsubscribe", { peers: peerIds }, E4.USER_NOT_LOGGED_IN, E4.TIMEOUT);
    for (const uid of peerIds) this.following.delete(uid);
  }
  /** `queryPeersBySubscriptionOption`: the followed peers, sorted; codes 102, 2, 3. */
  async queryByOption(option) {
    const E4 = QueryPeersBySubscriptionOptionError;
    this.loggedIn(E4.USER_NOT_LOGGED_IN);
    if (option !== PeerSubscriptionOption.ONLINE_STATUS) {
      throw rtmError(E4.TIMEOUT, "RtmTimeoutError", "unknown option");
    }
    this.within("query_subscriptions", QUERY_SUBSCRIPTIONS_RATE, E4.TOO_OFTEN, "over 10 in 5 s");
    const fields = { option };
    const result = await this.link.request("query_subscriptions", fields, E4.USER_NOT_LOGGED_IN, E4.TIMEOUT);
    return [...result?.peers ?? []];
  }
  /** `getChannelMemberCount` (spec §1.2, §6.8): `{channelId: n}`; codes 102, 5, 2, 3, 4. */
  async memberCounts(channelIds) {
    const E4 = GetChannelMemberCountError;
    this.loggedIn(E4.USER_NOT_LOGGED_IN);
    if (Array.isArray(channelIds) && channelIds.length > MAX_MEMBER_COUNT_CHANNELS) {
      throw rtmError(E4.EXCEED_LIMIT, "RtmLimitExceededError", "over 32 channels");
    }
    if (!Array.isArray(channelIds) || channelIds.length === 0 || !channelIds.every(isValidUserId)) {
      throw invalid3(E4.INVALID_ARGUMENT, "1 to 32 channel ids");
    }
    this.within("member_counts", MEMBER_COUNT_RATE, E4.TOO_OFTEN, "over 1 call a second");
    const fields = { channels: channelIds };
    const result = await this.link.request("member_counts", fields, E4.USER_NOT_LOGGED_IN, E4.TIMEOUT);
    return { ...result?.counts ?? {} };
  }
  /**
   * A `peer_status` push (protocol §3.14): record and report followed peers' new states.
   * Only changes are reported, so the snapshot of a re-subscription after a reconnection
   * tells the app what it missed, not what it knew (spec §1.3).
   */
  onPush(statuses) {
    const changed = {};
    let any = false;
    for (const [uid, state] of Object.entries(statuses ?? {})) {
      if (this.following.has(uid) && this.following.get(uid) !== state) {
        this.following.set(uid, state);
        changed[uid] = state;
        any = true;
      }
    }
    if (any) this.link.fire("PeersOnlineStatusChanged", changed);
  }
  /**
   * A new session after a lost one follows nobody (protocol §3.14): follow the same peers
   * again, without the call-frequency budget, before CONNECTED is announced.
   */
  async restore(send) {
    if (this.following.size === 0) return;
    try {
      await send("subscribe", { peers: [...this.following.keys()] });
    } catch {
    }
  }
  /** The session is over (logout, kick): following ends with it (spec §6.9). */
  clear() {
    this.following.clear();
  }
  loggedIn(code) {
    if (!this.link.loggedIn()) throw rtmError(code, "RtmInvalidStatusError", "not logged in");
  }
  within(key, limit2, code, message) {
    if (this.link.rates.within([key, limit2]) >= 0) {
      throw rtmError(code, "RtmLimitExceededError", message);
    }
  }
};
function invalid3(code, message) {
  return rtmError(code, "RtmInvalidArgumentError", message);
}
function peerIdsError(peers, most) {
  if (!Array.isArray(peers) || peers.length === 0) return "a non-empty list of peer ids";
  if (most !== null && peers.length > most) return `at most ${most} peer ids`;
  if (!peers.every(isValidUserId)) return "invalid peer id";
  return null;
}

// src/script-url-esm.ts
var SCRIPT_URL = import.meta.url;

// src/server-url.ts
function serverJsonUrl() {
  const base = SCRIPT_URL ?? (typeof document !== "undefined" ? document.baseURI : void 0);
  if (base === void 0) throw new Error("no script URL: set the `server` config key");
  return new URL("server.json", base).href;
}
function isServerUrl(value) {
  return typeof value === "string" && /^wss?:\/\//i.test(value);
}
async function resolveServerUrl(configured) {
  if (configured !== void 0) return configured;
  const global = globalThis.OPENRTM_SERVER;
  if (global !== void 0 && global !== null) {
    if (isServerUrl(global)) return global;
    const message = "OPENRTM_SERVER must be a ws:// or wss:// URL";
    throw rtmError(LoginError.UNKNOWN, "RtmUnknownError", message);
  }
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

// src/connection.ts
var IDLE_MS = 2e3;
var PING_TIMEOUT_MS = 2e3;
var CHECK_EVERY_MS = 500;
var Connection = class _Connection {
  constructor(ws, nextId, handlers) {
    this.ws = ws;
    this.nextId = nextId;
    this.handlers = handlers;
    this.pending = /* @__PURE__ */ new Map();
    this.open_ = true;
    this.lastHeard = Date.now();
    this.pinging = false;
    ws.onmessage = (event) => this.onMessage(event);
    ws.onclose = (event) => this.onClosed(event.code, event.reason);
    this.keepalive = setInterval(() => this.checkAlive(), CHECK_EVERY_MS);
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
    clearInterval(this.keepalive);
    this.failPending("the connection was closed");
    this.ws.close(code, reason);
  }
  /** Ping a link that has been silent too long; one that does not answer is lost. */
  checkAlive() {
    if (!this.open_ || this.pinging || Date.now() - this.lastHeard < IDLE_MS) return;
    this.pinging = true;
    this.request("ping", {}, PING_TIMEOUT_MS, 0).then(
      () => {
        this.pinging = false;
      },
      () => {
        this.pinging = false;
        if (!this.open_) return;
        this.ws.onclose = null;
        this.ws.onmessage = null;
        this.ws.close();
        this.onClosed(1006, "no answer to ping");
      }
    );
  }
  onMessage(event) {
    this.lastHeard = Date.now();
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
    clearInterval(this.keepalive);
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

// src/session.ts
var SDK = "js/0.1.0";
var LOGIN_TIMEOUT_MS = 12e3;
var LOGIN_SPACING_MS = 500;
var RECONNECT_FIRST_DELAY_MS = 250;
var RECONNECT_MAX_DELAY_MS = 1e4;
var FINAL_LOGIN_CODES = /* @__PURE__ */ new Set([3, 4, 5, 6]);
var Session = class extends SessionState {
  constructor(appId, config) {
    super();
    this.appId = appId;
    this.config = config;
    /** Rate limits of the session's calls (limits.ts), shared with the rest of the client. */
    this.rates = new RateWindows();
    /** The connection of the login in progress, so that `logout()` can drop it. */
    this.loggingIn = null;
    /** Bumped when a login attempt ends, so that a stale attempt knows to stop. */
    this.generation = 0;
    this.abortLogin = null;
    this.lastLoginAt = -Infinity;
    this.requestId = 0;
    /** Every connection's pushes and close (connection.ts). */
    this.handlers = {
      onPush: (frame, conn) => this.onPush(frame, conn),
      onClose: (conn, code) => this.onClose(conn, code)
    };
    /** Spec §3.2: `TokenExpired` is told once per expired token while RECONNECTING. */
    this.tokenExpiredTold = false;
    /** Pending `renewToken()` calls, which a `logout()` rejects with 201 (spec §4.3). */
    this.renewals = /* @__PURE__ */ new Set();
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
    this.move(0 /* LOGIN */);
    let timer;
    const stopped = new Promise((_, reject) => {
      this.abortLogin = reject;
      const timedOut = () => reject(loginError(LoginError.TIMEOUT, "login timed out"));
      timer = setTimeout(timedOut, LOGIN_TIMEOUT_MS);
    });
    try {
      const credentials = { uid, token: token || null };
      const loggedIn = await Promise.race([
        this.connectAndLogin(credentials, generation, now + LOGIN_TIMEOUT_MS),
        stopped
      ]);
      if (generation !== this.generation) {
        loggedIn.conn.close();
        throw loginError(LoginError.ABORTED_BY_LOGOUT, "logout called during login");
      }
      this.adopt(loggedIn);
      this.credentials = credentials;
      this.tokenExpiredTold = false;
      this.move(1 /* ACCEPTED */);
    } catch (error) {
      if (generation === this.generation) {
        this.generation++;
        this.loggingIn?.close();
        this.loggingIn = null;
        const timedOut = error.code === LoginError.TIMEOUT;
        this.move(timedOut ? 3 /* TIMED_OUT */ : 2 /* REJECTED */);
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
    for (const abort of [...this.renewals]) abort();
    const state = this.state;
    if (state === ConnectionState.DISCONNECTED) {
      const code = LogoutError.USER_NOT_LOGGED_IN;
      return Promise.reject(rtmError(code, "RtmInvalidStatusError", "not logged in"));
    }
    if (state === ConnectionState.CONNECTING || state === ConnectionState.RECONNECTING) {
      this.generation++;
      this.loggingIn?.close();
      this.loggingIn = null;
      if (state === ConnectionState.CONNECTING) {
        this.abortLogin?.(loginError(LoginError.ABORTED_BY_LOGOUT, "logout called during login"));
        this.move(4 /* LOGOUT */);
        return Promise.resolve();
      }
      if (this.conn === null) {
        this.endLocally(4 /* LOGOUT */);
        return Promise.resolve();
      }
    }
    this.loggingOut = this.endSession().finally(() => {
      this.loggingOut = null;
    });
    return this.loggingOut;
  }
  /**
   * Replace the login token for the same uid (spec §1.2 `renewToken`, §6.10; protocol §3.19).
   * While RECONNECTING the token is kept for the next login attempt, as the Python SDK does.
   * Codes (spec §4.3): 2 empty or not a string, 102 not logged in, 4 over 2 calls a second,
   * 6 invalid, 5 expired (from the server), 1 no answer, 201 overtaken by `logout()`.
   */
  async renewToken(token) {
    if (typeof token !== "string" || token === "") {
      const code = RenewTokenError.INVALID_ARGUMENT;
      throw rtmError(code, "RtmInvalidArgumentError", "a token is a non-empty string");
    }
    const credentials = this.credentials;
    const conn = this.connection();
    if (credentials === null || conn === null && !this.reconnecting()) {
      const code = RenewTokenError.USER_NOT_LOGGED_IN;
      throw rtmError(code, "RtmInvalidStatusError", "not logged in");
    }
    if (this.rates.within(["renew_token", RENEW_TOKEN_RATE]) >= 0) {
      const code = RenewTokenError.TOO_OFTEN;
      throw rtmError(code, "RtmInvokeTooOftenError", "over 2 calls a second");
    }
    if (conn !== null) {
      await new Promise((resolve, reject) => {
        const abort = () => {
          const code = RenewTokenError.ABORTED_BY_LOGOUT;
          reject(rtmError(code, "RtmInvalidStatusError", "logout called during renewToken"));
        };
        this.renewals.add(abort);
        conn.request("renew_token", { token }, REQUEST_TIMEOUT_MS3, RenewTokenError.FAILURE).then(() => resolve(), reject).finally(() => this.renewals.delete(abort));
      });
    }
    credentials.token = token;
    this.tokenExpiredTold = false;
  }
  /** Open connections until one logs in, or the server refuses the login (protocol §3.1). */
  async connectAndLogin(credentials, generation, deadline) {
    let delay = 250;
    while (generation === this.generation) {
      try {
        const result = await this.loginOnce(credentials, null, generation, deadline);
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
   * lost. Null when the attempt was abandoned; rejects when the connection fails or the server
   * refuses (`serverCode` set).
   */
  async loginOnce(credentials, resume, generation, deadline) {
    const url = await resolveServerUrl(this.config.server);
    let conn = null;
    try {
      conn = await Connection.open(url, () => ++this.requestId, this.handlers);
      if (generation !== this.generation) {
        conn.close();
        return null;
      }
      this.loggingIn = conn;
      const { uid, token } = credentials;
      const fields = { v: 1, app_id: this.appId, uid, sdk: SDK };
      if (token) fields.token = token;
      if (resume) fields.resume = resume;
      const wait = Math.max(1, deadline - Date.now());
      const reply = await conn.request("login", fields, wait, LoginError.TIMEOUT);
      if (generation !== this.generation) {
        conn.close();
        return null;
      }
      const sessionId = typeof reply?.session_id === "string" ? reply.session_id : "";
      const media = mediaSession(reply, url);
      return { conn, sessionId, resumed: reply?.resumed === true, media };
    } catch (error) {
      conn?.close();
      throw error;
    }
  }
  /** A login (or re-login) succeeded: its connection is the session's from now on. */
  adopt(loggedIn) {
    this.loggingIn = null;
    this.conn = loggedIn.conn;
    this.sessionId = loggedIn.sessionId;
    this.media = loggedIn.media;
  }
  /** The session is over without a logout request: forget it and every channel. */
  endLocally(trigger, kickReason) {
    this.generation++;
    this.forgetSession();
    this.endInvitations();
    this.move(trigger, kickReason);
  }
  /** Forget the session: its connection, credentials, id and media ticket, and what it held. */
  forgetSession() {
    this.conn = null;
    this.credentials = null;
    this.sessionId = null;
    this.media = null;
    this.leaveSession();
  }
  async endSession() {
    const conn = this.conn;
    this.forgetSession();
    if (conn?.isOpen) {
      try {
        await conn.request("logout", {}, REQUEST_TIMEOUT_MS3, 1);
      } catch {
      }
      conn.close(1e3);
    }
    this.endInvitations();
    this.move(4 /* LOGOUT */);
  }
  /**
   * Log in again after a lost link (protocol §3.2, §5): new connections with `resume`, with
   * backoff and jitter, until the session is resumed (nothing else to do: the server replays
   * what was missed) or a new one is made (then restore it), or the login is refused for
   * good, or logout() stops it.
   */
  async reconnect() {
    const credentials = this.credentials;
    if (credentials === null) return;
    const generation = ++this.generation;
    let delay = RECONNECT_FIRST_DELAY_MS;
    while (generation === this.generation) {
      let result = null;
      try {
        const deadline = Date.now() + LOGIN_TIMEOUT_MS;
        result = await this.loginOnce(credentials, this.sessionId, generation, deadline);
      } catch (error) {
        const code = error.serverCode;
        if (generation !== this.generation) return;
        if (code === 6) {
          if (!this.tokenExpiredTold) {
            this.tokenExpiredTold = true;
            this.fire("TokenExpired");
          }
        } else if (code !== void 0 && FINAL_LOGIN_CODES.has(code)) {
          this.endLocally(2 /* REJECTED */);
          return;
        }
      }
      if (generation !== this.generation) {
        result?.conn.close();
        return;
      }
      if (result !== null) {
        this.adopt(result);
        if (!result.resumed) {
          this.endInvitations();
          await this.restoreSession(result.conn);
        }
        if (generation !== this.generation || this.conn !== result.conn) return;
        this.move(1 /* ACCEPTED */);
        return;
      }
      const pause = delay / 2 + Math.random() * (delay / 2);
      await new Promise((resolve) => setTimeout(resolve, pause));
      delay = Math.min(delay * 2, RECONNECT_MAX_DELAY_MS);
    }
  }
  /** A logged-in connection closed without our logout (protocol §5). */
  onClose(conn, code) {
    if (conn !== this.conn) return;
    this.conn = null;
    const [trigger, reason] = closeTrigger(code);
    if (trigger === 5 /* LINK_LOST */) {
      this.move(trigger);
      void this.reconnect();
    } else {
      this.endLocally(trigger, reason);
      if (code === 4002) this.fire("TokenExpired");
    }
  }
};

// src/session-features.ts
var SessionFeatures = class extends Session {
  /**
   * An invitation to `calleeId` (spec §1.2 `createLocalInvitation`, §1.5); set its `content`
   * and call `send()`. Throws code 1 `RtmInvalidArgumentError` for an invalid id (spec §4.14).
   */
  createLocalInvitation(calleeId) {
    return this.invitations.create(calleeId);
  }
  /** Which of 1–256 peers are logged in (spec §1.2 `queryPeersOnlineStatus`, §4.9). */
  queryPeersOnlineStatus(peerIds) {
    return this.presence.query(peerIds);
  }
  /** Follow peers' online state (spec §1.2 `subscribePeersOnlineStatus`, §4.10). */
  subscribePeersOnlineStatus(peerIds) {
    return this.presence.subscribe(peerIds);
  }
  /** Stop following peers (spec §1.2 `unsubscribePeersOnlineStatus`, §4.10). */
  unsubscribePeersOnlineStatus(peerIds) {
    return this.presence.unsubscribe(peerIds);
  }
  /** The followed peers (spec §1.2 `queryPeersBySubscriptionOption`, §4.11). */
  queryPeersBySubscriptionOption(option) {
    return this.presence.queryByOption(option);
  }
  /** Member counts of 1–32 channels, joined or not (spec §1.2 `getChannelMemberCount`). */
  getChannelMemberCount(channelIds) {
    return this.presence.memberCounts(channelIds);
  }
  /** Replace this user's attributes (spec §1.2 `setLocalUserAttributes`, §4.12). */
  setLocalUserAttributes(attributes) {
    return this.attributes.setLocal(attributes);
  }
  /** Add or replace some of this user's attributes (`addOrUpdateLocalUserAttributes`). */
  addOrUpdateLocalUserAttributes(attributes) {
    return this.attributes.updateLocal(attributes);
  }
  /** Delete this user's attributes of `attributeKeys` (`deleteLocalUserAttributesByKeys`). */
  deleteLocalUserAttributesByKeys(attributeKeys) {
    return this.attributes.deleteLocal(attributeKeys);
  }
  /** Delete all of this user's attributes (`clearLocalUserAttributes`). */
  clearLocalUserAttributes() {
    return this.attributes.clearLocal();
  }
  /** An online user's attributes (`getUserAttributes`); code 6 when the user is offline. */
  getUserAttributes(userId) {
    return this.attributes.getUser(userId);
  }
  /** An online user's attributes of `attributeKeys` (`getUserAttributesByKeys`). */
  getUserAttributesByKeys(userId, attributeKeys) {
    return this.attributes.getUser(userId, attributeKeys);
  }
  /** Replace a channel's attributes (spec §1.2 `setChannelAttributes`); no join needed. */
  setChannelAttributes(channelId, attributes, options) {
    return this.attributes.writeChannel("set_channel_attrs", channelId, { attrs: attributes }, options);
  }
  /** Add or replace some of a channel's attributes (`addOrUpdateChannelAttributes`). */
  addOrUpdateChannelAttributes(channelId, attributes, options) {
    return this.attributes.writeChannel("update_channel_attrs", channelId, { attrs: attributes }, options);
  }
  /** Delete a channel's attributes of `attributeKeys` (`deleteChannelAttributesByKeys`). */
  deleteChannelAttributesByKeys(channelId, attributeKeys, options) {
    return this.attributes.writeChannel("delete_channel_attrs", channelId, { keys: attributeKeys }, options);
  }
  /** Delete all of a channel's attributes (`clearChannelAttributes`). */
  clearChannelAttributes(channelId, options) {
    return this.attributes.writeChannel("clear_channel_attrs", channelId, {}, options);
  }
  /** A channel's attributes (`getChannelAttributes`): `{key: {value, lastUpdateUserId, lastUpdateTs}}`. */
  getChannelAttributes(channelId) {
    return this.attributes.getChannel(channelId);
  }
  /** A channel's attributes of `attributeKeys` (`getChannelAttributesByKeys`). */
  getChannelAttributesByKeys(channelId, attributeKeys) {
    return this.attributes.getChannel(channelId, attributeKeys);
  }
};

// src/client.ts
var CONFIG_KEYS = ["enableLogUpload", "logFilter", "enableCloudProxy", "server"];
var RtmClient = class extends SessionFeatures {
  constructor(appId, config) {
    super(appId, config);
    const emit = (event, ...args) => this.fire(event, ...args);
    this.peers = new PeerMessages(this.connected.bind(this), emit);
    this.host = {
      connection: () => this.connection(),
      channels: /* @__PURE__ */ new Map(),
      rates: this.rates,
      whenReconnected: (timeoutMs) => this.whenReconnected(timeoutMs),
      reconnecting: () => this.reconnecting(),
      takeMessageBudget: () => this.peers.takeBudget(),
      nextMid: () => this.peers.nextMid(),
      fire: (target, event, ...args) => fire(target, event, args)
    };
    const link = {
      loggedIn: () => this.loggedIn(),
      request: this.request.bind(this),
      rates: this.rates,
      fire: emit
    };
    this.presence = new Presence(link);
    this.attributes = new Attributes(link);
    const session = () => this.sessionId;
    this.invitations = new Invitations({ ...this.host, session, client: this });
    this.transfers = new MediaTransfers({
      session: () => this.connection() !== null ? this.media : null
    });
  }
  /**
   * Send a peer message (spec §1.2 `sendMessageToPeer`, §6.1, §4.4; protocol §3.4;
   * peer-messages.ts). Resolves `{hasPeerReceived}`.
   */
  sendMessageToPeer(message, peerId, options) {
    return this.peers.send(message, peerId, options);
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
  /** `createMessage` (spec §1.2): the identity, but FILE/IMAGE get their defaults (1.4.x). */
  createMessage(message) {
    return createMessage(message);
  }
  /**
   * Change the config after `createInstance` (spec §1.2, since 1.4.2). Like Agora's, it keeps
   * the keys whose value is not null or undefined and ignores unknown ones; `logFilter`,
   * `enableLogUpload` and `enableCloudProxy` have no effect here, and a new `server` is used
   * from the next connection on. Throws code 1 `RtmInvalidArgumentError` for a config that is
   * not an object or a `server` that is not a `ws://` / `wss://` URL.
   */
  updateConfig(config) {
    if (typeof config !== "object" || config === null) {
      throw rtmError(1, "RtmInvalidArgumentError", "the config must be an object");
    }
    if (config.server !== void 0 && config.server !== null && !isServerUrl(config.server)) {
      throw rtmError(1, "RtmInvalidArgumentError", "server must be a ws:// or wss:// URL");
    }
    for (const key of CONFIG_KEYS) {
      const value = config[key];
      if (value !== void 0 && value !== null) Object.assign(this.config, { [key]: value });
    }
  }
  /** The deprecated name of `updateConfig` (spec §1.2, before 1.4.2). */
  setParameters(config) {
    this.updateConfig(config);
  }
  /** Upload a FILE or IMAGE message's object (spec §1.2, ≤ 1.4.x; media.ts). */
  createMediaMessageByUploading(blob, params, handler) {
    return this.transfers.upload(blob, params, handler);
  }
  /** Download a FILE or IMAGE message's object as a Blob (spec §1.2, ≤ 1.4.x; media.ts). */
  downloadMedia(mediaId, handler) {
    return this.transfers.download(mediaId, handler);
  }
  /** The session ended (logout, kick): the server has left every channel (protocol §3.8). */
  leaveSession() {
    for (const channel of [...this.host.channels.values()]) channel.forget();
    this.presence.clear();
    this.attributes.clear();
  }
  /** Protocol §3.21: invitations end with the session. */
  endInvitations() {
    this.invitations.sessionOver();
  }
  /**
   * A new session after a lost one (protocol §3.2, §9): re-join the channels, follow the same
   * peers and write the user attributes again, before CONNECTED is announced, as the Python
   * SDK does. A channel the server refuses now is left, as the session that joined it is gone.
   */
  async restoreSession(conn) {
    const send = (op, fields) => conn.request(op, fields, REQUEST_TIMEOUT_MS3, 1);
    const rejoin = async (channel) => {
      try {
        await send("join", { channel: channel.channelId });
      } catch {
        if (conn === this.conn) channel.forget();
      }
    };
    await Promise.all([
      ...[...this.host.channels.values()].map(rejoin),
      this.presence.restore(send),
      this.attributes.restore(send)
    ]);
  }
  /** Pushes (protocol §2.2), handled from the moment the WebSocket opens (protocol §2.3). */
  onPush(frame, conn) {
    if (frame.t === "peer_msg") this.peers.onPush(frame, conn);
    else if (frame.t === "peer_status") {
      this.presence.onPush(frame.statuses);
    } else if (frame.t === "token_expiring") this.fire("TokenPrivilegeWillExpire");
    else if (INVITATION_PUSHES.has(frame.t)) this.invitations.onPush(frame, conn);
    else if (CHANNEL_PUSHES.has(frame.t) && conn === this.conn) {
      this.host.channels.get(String(frame.channel))?.onPush(frame);
    }
  }
};

// src/area.ts
var AreaCode = {
  GLOBAL: "GLOBAL",
  INDIA: "INDIA",
  JAPAN: "JAPAN",
  ASIA: "ASIA",
  EUROPE: "EUROPE",
  CHINA: "CHINA",
  NORTH_AMERICA: "NORTH_AMERICA"
};
var LEGACY_AREA_CODES = /* @__PURE__ */ new Set(["CN", "NA", "EU", "AS", "JP", "IN", "GLOB", "OC", "SA", "AF", "OVS"]);
var AREA_CODES = new Set(Object.values(AreaCode));
function setArea(areaConfig) {
  const { areaCodes, excludedArea } = areaConfig ?? {};
  if (!Array.isArray(areaCodes) || areaCodes.length === 0) throw invalid4("Invalid area config");
  if (!areaCodes.every((code) => AREA_CODES.has(code))) throw invalid4("Invalid area config");
  if (excludedArea === void 0) return;
  if (excludedArea === AreaCode.GLOBAL) throw invalid4("Excluded area cannot be global");
  if (areaCodes.includes(excludedArea)) throw invalid4("Excluded area cannot be in areaCodes");
  if (!AREA_CODES.has(excludedArea)) throw invalid4(`Invalid excludedArea: ${String(excludedArea)}`);
}
function checkLegacyAreaCodes(areaCodes) {
  if (areaCodes === void 0) return;
  if (!Array.isArray(areaCodes) || areaCodes.length === 0) throw invalid4("Invalid area config");
  const unknown = areaCodes.filter((code) => !LEGACY_AREA_CODES.has(code));
  if (unknown.length > 0) throw invalid4(`Invalid area codes: ${unknown.join(", ")}`);
}
function invalid4(message) {
  return rtmError(1, "RtmInvalidArgumentError", message);
}

// src/log-filters.ts
var LOG_FILTER_OFF = {
  error: false,
  warn: false,
  info: false,
  track: false,
  debug: false
};
var LOG_FILTER_ERROR = { ...LOG_FILTER_OFF, error: true };
var LOG_FILTER_WARNING = { ...LOG_FILTER_ERROR, warn: true };
var LOG_FILTER_INFO = { ...LOG_FILTER_WARNING, info: true };
var LOG_FILTER_DEBUG = {
  error: true,
  warn: true,
  info: true,
  track: true,
  debug: true
};

// src/index.ts
var CONFIG_KEYS2 = /* @__PURE__ */ new Set(["enableLogUpload", "logFilter", "enableCloudProxy", "server"]);
function createInstance(appId, config, areaCodes) {
  if (!isValidAppId(appId)) throw invalidArgument("invalid App ID");
  for (const key of Object.keys(config ?? {})) {
    if (!CONFIG_KEYS2.has(key)) throw invalidArgument(`Invalid RTM config: ${key}`);
  }
  const server = config?.server;
  if (server !== void 0 && !isServerUrl(server)) {
    throw invalidArgument("Invalid RTM config: server must be a ws:// or wss:// URL");
  }
  checkLegacyAreaCodes(areaCodes);
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
  MessageType,
  PeerOnlineState,
  PeerSubscriptionOption,
  LocalInvitationState,
  RemoteInvitationState,
  LocalInvitationFailureReason,
  RemoteInvitationFailureReason,
  // Spec §1.1: Agora's build name has the form `v<version>-<commits>-g<commit>`; ours says
  // which SDK it is instead of a commit, so that the build stays byte-for-byte reproducible.
  BUILD: "v1.5.1-openrtm",
  LOG_FILTER_OFF,
  LOG_FILTER_ERROR,
  LOG_FILTER_WARNING,
  LOG_FILTER_INFO,
  LOG_FILTER_DEBUG,
  setArea,
  AreaCode
};
var index_default = AgoraRTM;
export {
  index_default as default
};
