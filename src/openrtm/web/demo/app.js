"use strict";
(() => {
  // demo/src/dom.ts
  function byId(id) {
    const element = document.getElementById(id);
    if (element === null) throw new Error(`#${id} is missing from index.html`);
    return element;
  }
  function h(tag, props = {}, ...children) {
    const element = document.createElement(tag);
    if (props.className) element.className = props.className;
    if (props.text !== void 0) element.textContent = props.text;
    if (props.testid) element.dataset.testid = props.testid;
    if (props.title) element.title = props.title;
    for (const [key, value] of Object.entries(props.data ?? {})) element.dataset[key] = value;
    element.append(...children);
    return element;
  }
  function avatar(uid) {
    return h("span", { className: "avatar", text: uid.trim().charAt(0) || "?" });
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function formatSize(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }
  function append(list, item) {
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }
  var ICONS = {
    phone: "M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2"
  };
  function icon(name) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  // demo/src/errors.ts
  var TITLES = {
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
    download: "Download failed"
  };
  var ID_RULE = "1 to 64 characters: letters, digits, spaces and ! # $ % & ( ) + , . : ; < = > ? @ [ ] ^ _ { | } ~ -";
  var NOT_LOGGED_IN = "You are not logged in: log in again.";
  var SENTENCES = {
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
      201: "Logged out while logging in."
    },
    logout: { 102: "You are already logged out." },
    peerMessage: {
      2: "The server did not answer in time.",
      5: "Too many messages: at most 180 in 3 seconds.",
      6: `That is not a user id. A user id is ${ID_RULE}.`,
      7: "The message is empty, too large (32 KB at most) or not valid.",
      102: NOT_LOGGED_IN
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
      202: "You are already in this channel."
    },
    leave: { 3: "You are not in that channel.", 102: NOT_LOGGED_IN },
    channelMessage: {
      2: "The server did not answer in time.",
      3: "Too many messages: at most 180 in 3 seconds.",
      4: "The message is empty, too large (32 KB at most) or not valid.",
      5: "Join the channel first.",
      102: NOT_LOGGED_IN
    },
    getMembers: {
      3: "The server did not answer in time.",
      4: "Asked for the member list too often.",
      5: "Join the channel first.",
      102: NOT_LOGGED_IN
    },
    subscribe: {
      2: `That is not a user id. A user id is ${ID_RULE}.`,
      4: "The server did not answer in time.",
      5: "Following and unfollowing too often: wait a few seconds.",
      6: "You follow 512 people already.",
      102: NOT_LOGGED_IN
    },
    unsubscribe: {
      2: "That is not a user id.",
      4: "The server did not answer in time.",
      5: "Following and unfollowing too often: wait a few seconds.",
      102: NOT_LOGGED_IN
    },
    invitation: {
      1: `That is not a user id to call. A user id is ${ID_RULE}.`,
      2: "The call has not started.",
      3: "The call is over already.",
      4: "The call is being accepted already.",
      5: "The call was sent already."
    },
    upload: {
      1: "The upload failed. Try again.",
      2: "The file is empty, or its name and description are too long.",
      3: "The upload stalled for 2 minutes.",
      4: "The file is larger than the server allows (30 MB).",
      5: "Too many transfers at once: wait for one to finish.",
      6: "The upload was cancelled.",
      102: NOT_LOGGED_IN
    },
    download: {
      1: "The download failed. Try again.",
      2: "That is not a media id.",
      3: "The download stalled for 2 minutes.",
      4: "The file is gone: media are kept 7 days.",
      5: "Too many transfers at once: wait for one to finish.",
      6: "The download was cancelled.",
      102: NOT_LOGGED_IN
    }
  };
  function showError(operation, error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = e.code;
    const sentence = (typeof code === "number" ? SENTENCES[operation][code] : void 0) ?? e.message;
    const card = h(
      "div",
      { className: "error", testid: "error", data: { name: e.name, code: String(code ?? "") } },
      h("div", { className: "what", text: TITLES[operation] }),
      h("div", {
        className: "code",
        testid: "error-code",
        text: typeof code === "number" ? `${e.name} · code ${code}` : e.name
      }),
      h("div", { testid: "error-sentence", text: sentence })
    );
    const close = h("button", { className: "close", text: "×", title: "Dismiss" });
    close.type = "button";
    close.addEventListener("click", () => card.remove());
    card.append(close);
    const list = byId("errors");
    list.append(card);
    while (list.children.length > 4) list.firstElementChild?.remove();
    setTimeout(() => card.remove(), 12e3);
  }
  async function guard(operation, action) {
    try {
      return await action();
    } catch (error) {
      showError(operation, error);
      return void 0;
    }
  }
  function showNotice(title, sentence) {
    const card = h(
      "div",
      { className: "error", testid: "notice" },
      h("div", { className: "what", text: title }),
      h("div", { text: sentence })
    );
    byId("errors").append(card);
    setTimeout(() => card.remove(), 12e3);
  }

  // demo/src/calls.ts
  var LOCAL_FAILURES = {
    PEER_OFFLINE: "is offline",
    PEER_NO_RESPONSE: "did not answer",
    INVITATION_EXPIRE: "did not pick up in time",
    NOT_LOGGEDIN: "could not be called: you are not logged in"
  };
  var REMOTE_FAILURES = {
    PEER_OFFLINE: "went offline",
    ACCEPT_FAILURE: "did not confirm your answer",
    INVITATION_EXPIRE: "called too long ago: the call expired"
  };
  var Calls = class {
    constructor() {
      this.call = null;
      this.session = null;
      /** A call with `peerId` ended with `outcome` (a sentence). */
      this.onOutcome = () => {
      };
    }
    start(session) {
      this.session = session;
      session.client.on("RemoteInvitationReceived", (invitation) => {
        this.incoming(invitation);
      });
    }
    stop() {
      this.call?.invitation.removeAllListeners();
      this.call = null;
      this.session = null;
      this.close();
    }
    /** Call `peerId`: an invitation, sent at once, cancellable until it is answered. */
    async dial(peerId) {
      const session = this.session;
      if (session === null || this.call !== null) return;
      const invitation = await guard("invitation", () => {
        const created = session.client.createLocalInvitation(peerId);
        created.content = `${session.uid} is calling`;
        return created;
      });
      if (invitation === void 0) return;
      const end = (outcome) => this.end(peerId, outcome);
      invitation.on("LocalInvitationReceivedByPeer", () => this.show(peerId, "Ringing…", "ringing"));
      invitation.on("LocalInvitationAccepted", () => end(`${peerId} accepted your call`));
      invitation.on(
        "LocalInvitationRefused",
        (response) => end(`${peerId} declined your call${response ? `: “${response}”` : ""}`)
      );
      invitation.on("LocalInvitationCanceled", () => end(`You cancelled the call to ${peerId}`));
      invitation.on(
        "LocalInvitationFailure",
        (reason) => end(`${peerId} ${LOCAL_FAILURES[reason] ?? `could not be called (${reason})`}`)
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
        })
      ]);
    }
    incoming(invitation) {
      const peerId = invitation.callerId;
      if (this.call !== null) {
        invitation.response = "busy";
        void guard("invitation", () => invitation.refuse());
        this.onOutcome(peerId, `${peerId} called while you were busy`);
        return;
      }
      this.call = { kind: "in", invitation };
      const end = (outcome) => this.end(peerId, outcome);
      invitation.on("RemoteInvitationAccepted", () => end(`You accepted ${peerId}'s call`));
      invitation.on("RemoteInvitationRefused", () => end(`You declined ${peerId}'s call`));
      invitation.on("RemoteInvitationCanceled", () => end(`${peerId} hung up`));
      invitation.on(
        "RemoteInvitationFailure",
        (reason) => end(`The call failed: ${peerId} ${REMOTE_FAILURES[reason] ?? `(${reason})`}`)
      );
      this.show(peerId, "is calling you", "ringing", [
        this.button("Decline", "danger", "call-refuse", () => {
          void guard("invitation", () => invitation.refuse());
        }),
        this.button("Accept", "accept", "call-accept", () => {
          this.show(peerId, "Connecting…", "connecting");
          void guard("invitation", () => invitation.accept());
        })
      ]);
    }
    end(peerId, outcome) {
      this.call?.invitation.removeAllListeners();
      this.call = null;
      this.show(peerId, outcome, "ended", [this.button("Close", "", "call-close", () => this.close())]);
      this.onOutcome(peerId, outcome);
      this.closeTimer = setTimeout(() => this.close(), 4e3);
    }
    /** The call card: who, what is happening, and the buttons for it. */
    show(peerId, status, phase, actions) {
      clearTimeout(this.closeTimer);
      byId("call-layer").hidden = false;
      byId("call-card").dataset.phase = phase;
      byId("call-avatar").textContent = peerId.trim().charAt(0) || "?";
      byId("call-title").textContent = peerId;
      byId("call-status").textContent = status;
      if (actions !== void 0) byId("call-actions").replaceChildren(...actions);
    }
    close() {
      clearTimeout(this.closeTimer);
      byId("call-layer").hidden = true;
      byId("call-actions").replaceChildren();
    }
    button(label, className, testid, action) {
      const button = h("button", { className, text: label, testid });
      button.type = "button";
      button.addEventListener("click", action);
      return button;
    }
  };

  // demo/src/media.ts
  function messageBody(client, message, localFile) {
    switch (message.messageType) {
      case "IMAGE":
        return imageBody(client, message, localFile);
      case "FILE":
        return fileBody(client, message, localFile);
      case "RAW": {
        const raw = message;
        const text = `binary message, ${formatSize(raw.rawMessage.byteLength)}`;
        return h("span", { text: raw.description ? `${text}: ${raw.description}` : text });
      }
      default:
        return h("span", { testid: "text", text: message.text });
    }
  }
  function imageBody(client, message, localFile) {
    const img = h("img", { testid: "image" });
    img.alt = message.fileName;
    if (message.width > 0 && message.height > 0) {
      img.width = Math.min(240, message.width);
    }
    const caption = h("div", { className: "caption", text: message.fileName });
    const box = h("div", { testid: "media", data: { mediaId: message.mediaId } }, img, caption);
    if (localFile !== void 0) {
      img.src = URL.createObjectURL(localFile);
    } else {
      caption.textContent = `${message.fileName} · loading…`;
      client.downloadMedia(message.mediaId).then((blob) => {
        img.src = URL.createObjectURL(blob);
        caption.textContent = message.fileName;
      }).catch((error) => {
        caption.textContent = `${message.fileName} · not available`;
        showError("download", error);
      });
    }
    return box;
  }
  function fileBody(client, message, localFile) {
    const link = h("a", {
      className: "file-link",
      testid: "file-link",
      text: `⬇ ${message.fileName}`
    });
    link.download = message.fileName;
    let saved = localFile !== void 0;
    link.href = localFile !== void 0 ? URL.createObjectURL(localFile) : "#";
    const size = h("div", { className: "caption", text: formatSize(message.size) });
    link.addEventListener("click", (event) => {
      if (saved) return;
      event.preventDefault();
      size.textContent = "downloading…";
      void guard("download", async () => {
        try {
          const blob = await client.downloadMedia(message.mediaId, {
            onOperationProgress: ({ currentSize, totalSize }) => {
              size.textContent = `downloading ${percent(currentSize, totalSize)}%`;
            }
          });
          link.href = URL.createObjectURL(blob);
          saved = true;
          size.textContent = formatSize(blob.size);
          link.click();
        } catch (error) {
          size.textContent = formatSize(message.size);
          throw error;
        }
      });
    });
    return h("div", { testid: "media", data: { mediaId: message.mediaId } }, link, size);
  }
  function percent(current, total) {
    return total > 0 ? Math.floor(current * 100 / total) : 0;
  }
  var Uploader = class {
    constructor(input, bar, send) {
      this.bar = bar;
      this.send = send;
      this.client = null;
      this.cancel = null;
      input.addEventListener("change", () => {
        const file = input.files?.[0];
        input.value = "";
        if (file !== void 0) void this.upload(file);
      });
    }
    start(client) {
      this.client = client;
    }
    stop() {
      this.cancel?.abort();
      this.client = null;
      this.bar.hidden = true;
    }
    async upload(file) {
      const client = this.client;
      if (client === null || this.cancel !== null) return;
      const cancel = new AbortController();
      this.cancel = cancel;
      const progress = h("progress", { testid: "upload-progress" });
      progress.max = Math.max(1, file.size);
      progress.value = 0;
      const status = h("span", { testid: "upload-status", text: "0%" });
      const stop = h("button", { text: "Cancel", testid: "upload-cancel" });
      stop.type = "button";
      stop.addEventListener("click", () => cancel.abort());
      this.bar.replaceChildren(h("span", { className: "name", text: file.name }), progress, status, stop);
      this.bar.dataset.state = "uploading";
      this.bar.hidden = false;
      let state = "failed";
      try {
        const message = await client.createMediaMessageByUploading(
          file,
          { messageType: file.type.startsWith("image/") ? "IMAGE" : "FILE", fileName: file.name },
          {
            cancelSignal: cancel.signal,
            onOperationProgress: ({ currentSize, totalSize }) => {
              progress.max = Math.max(1, totalSize);
              progress.value = currentSize;
              status.textContent = `${percent(currentSize, totalSize)}%`;
            }
          }
        );
        progress.value = progress.max;
        status.textContent = "sending…";
        this.bar.dataset.state = "sending";
        stop.disabled = true;
        if (await this.send(message, file)) state = "done";
        status.textContent = state === "done" ? "sent" : "not sent";
      } catch (error) {
        status.textContent = "failed";
        showError("upload", error);
      } finally {
        this.cancel = null;
        stop.remove();
        this.bar.dataset.state = state;
        setTimeout(() => {
          if (this.bar.dataset.state === state && this.cancel === null) this.bar.hidden = true;
        }, 4e3);
      }
    }
  };

  // demo/src/channel.ts
  var ChannelPanel = class {
    constructor() {
      this.session = null;
      this.channel = null;
      this.members = /* @__PURE__ */ new Set();
      this.nameInput = byId("channel-id");
      this.list = byId("channel-messages");
      this.text = byId("channel-text");
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
      this.uploader = new Uploader(
        byId("channel-file"),
        byId("channel-upload"),
        (message, file) => this.send(message, file)
      );
    }
    start(session) {
      this.session = session;
      this.uploader.start(session.client);
    }
    stop() {
      this.channel?.removeAllListeners();
      this.channel = null;
      this.session = null;
      this.uploader.stop();
      this.reset();
    }
    async join() {
      const session = this.session;
      if (session === null || this.channel !== null) return;
      const name = this.nameInput.value;
      const channel2 = await guard("createChannel", () => session.client.createChannel(name));
      if (channel2 === void 0) return;
      channel2.on("MemberJoined", (memberId) => {
        this.addMember(memberId);
        this.note(`${memberId} joined`);
      });
      channel2.on("MemberLeft", (memberId) => {
        this.members.delete(memberId);
        this.renderMembers();
        this.note(`${memberId} left`);
      });
      channel2.on("MemberCountUpdated", (count) => {
        byId("member-count").textContent = String(count);
      });
      channel2.on(
        "ChannelMessage",
        (message, memberId, props) => {
          append(this.list, this.line("in", memberId, message, clock(props.serverReceivedTs)));
        }
      );
      this.channel = channel2;
      this.setJoined(null);
      try {
        await channel2.join();
      } catch (error) {
        channel2.removeAllListeners();
        this.channel = null;
        this.reset();
        showError("join", error);
        return;
      }
      this.setJoined(channel2.channelId);
      this.note(`You joined ${channel2.channelId}`);
      const members = await guard("getMembers", () => channel2.getMembers());
      for (const member of members ?? []) this.addMember(member);
    }
    async leave() {
      const channel2 = this.channel;
      if (channel2 === null) return;
      await guard("leave", () => channel2.leave());
      channel2.removeAllListeners();
      this.channel = null;
      this.reset();
    }
    async send(message, localFile) {
      const { channel: channel2, session } = this;
      if (channel2 === null || session === null) return false;
      const line = this.line("out", session.uid, message, clock(Date.now()), localFile);
      append(this.list, line);
      try {
        await channel2.sendMessage(message);
        return true;
      } catch (error) {
        line.querySelector(".meta")?.append(h("span", { className: "tick", text: "not sent", data: { tick: "failed" } }));
        showError("channelMessage", error);
        return false;
      }
    }
    addMember(memberId) {
      this.members.add(memberId);
      this.renderMembers();
    }
    renderMembers() {
      const self = this.session?.uid;
      const sorted = [...this.members].sort((a, b) => a === self ? -1 : b === self ? 1 : a.localeCompare(b));
      byId("members").replaceChildren(
        ...sorted.map(
          (id) => h(
            "li",
            { className: id === self ? "member self" : "member", testid: "member", data: { uid: id } },
            avatar(id),
            h("span", { className: "name", text: id })
          )
        )
      );
    }
    line(side, from, message, meta, localFile) {
      const client = this.session?.client;
      return h(
        "li",
        { className: `msg ${side}`, testid: side === "in" ? "message-in" : "message-out", data: { from } },
        h("div", { className: "from", text: side === "in" ? from : "" }),
        h("div", { className: "bubble" }, client ? messageBody(client, message, localFile) : h("span")),
        h("div", { className: "meta" }, h("span", { text: meta }))
      );
    }
    note(text) {
      append(this.list, h("li", { className: "msg system" }, h("div", { className: "bubble", text })));
    }
    /** Joined `channelId`, joining (null), or neither (reset). */
    setJoined(channelId) {
      const joined = channelId !== null;
      byId("channel-title").textContent = joined ? `# ${channelId}` : "Joining…";
      for (const id of ["channel-text", "channel-file", "channel-send", "leave"]) {
        byId(id).disabled = !joined;
      }
      for (const id of ["join", "channel-id"]) byId(id).disabled = true;
    }
    reset() {
      this.members.clear();
      this.renderMembers();
      this.list.replaceChildren();
      byId("member-count").textContent = "–";
      byId("channel-title").textContent = "Not in a channel";
      for (const id of ["channel-text", "channel-file", "channel-send", "leave"]) {
        byId(id).disabled = true;
      }
      for (const id of ["join", "channel-id"]) byId(id).disabled = false;
    }
  };

  // demo/src/peer-chat.ts
  var PeerChat = class {
    constructor() {
      this.session = null;
      /** The rendered lines of each conversation, by peer id. */
      this.conversations = /* @__PURE__ */ new Map();
      this.current = null;
      this.list = byId("peer-messages");
      this.peerInput = byId("peer-id");
      this.text = byId("peer-text");
      /** Told when a conversation opens (`opened`) or a message arrives from a peer. */
      this.onPeer = () => {
      };
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
      this.uploader = new Uploader(
        byId("peer-file"),
        byId("peer-upload"),
        (message, file) => this.current === null ? Promise.resolve(false) : this.send(this.current, message, file)
      );
    }
    get peer() {
      return this.current;
    }
    start(session) {
      this.session = session;
      this.uploader.start(session.client);
      session.client.on(
        "MessageFromPeer",
        (message, peerId, props) => {
          const note = props.isOfflineMessage ? " · while you were away" : "";
          const line = this.line("in", peerId, message, `${clock(props.serverReceivedTs)}${note}`);
          this.add(peerId, line);
          if (this.current === null) this.open(peerId);
          this.onPeer(peerId, "message");
        }
      );
      this.open(null);
    }
    stop() {
      this.session = null;
      this.uploader.stop();
      this.conversations.clear();
      this.current = null;
      this.list.replaceChildren();
    }
    /** Show the conversation with `peerId` (null: none yet). */
    open(peerId) {
      this.current = peerId;
      this.peerInput.value = peerId ?? "";
      byId("peer-title").textContent = peerId === null ? "Direct messages" : `Chat with ${peerId}`;
      this.list.replaceChildren(...peerId === null ? [] : this.conversations.get(peerId) ?? []);
      this.list.scrollTop = this.list.scrollHeight;
      for (const id of ["peer-text", "peer-file", "call"]) {
        byId(id).disabled = peerId === null;
      }
      if (peerId !== null) this.onPeer(peerId, "opened");
    }
    /** A line in a conversation that is neither side's message (a call's outcome). */
    system(peerId, text) {
      const line = h("li", { className: "msg system", testid: "system-line" }, h("div", { className: "bubble", text }));
      this.add(peerId, line);
    }
    /** Send `message` to `peerId` and show it with its tick; false when it was not sent. */
    async send(peerId, message, localFile) {
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
    line(side, from, message, meta, localFile) {
      const client = this.session?.client;
      const body = client ? messageBody(client, message, localFile) : h("span");
      return h(
        "li",
        { className: `msg ${side}`, testid: side === "in" ? "message-in" : "message-out", data: { from } },
        h("div", { className: "bubble" }, body),
        h("div", { className: "meta" }, h("span", { text: meta }))
      );
    }
    add(peerId, line) {
      let lines = this.conversations.get(peerId);
      if (lines === void 0) {
        lines = [];
        this.conversations.set(peerId, lines);
      }
      lines.push(line);
      if (peerId === this.current) append(this.list, line);
    }
  };

  // demo/src/people.ts
  var People = class {
    constructor() {
      this.session = null;
      this.people = /* @__PURE__ */ new Map();
      this.input = byId("follow-id");
      this.current = null;
      /** A click on a person: open the conversation. */
      this.onSelect = () => {
      };
      /** A click on a person's phone. */
      this.onCall = () => {
      };
      byId("follow-form").addEventListener("submit", (event) => {
        event.preventDefault();
        const uid = this.input.value;
        if (uid.trim()) void this.follow(uid);
      });
    }
    start(session) {
      this.session = session;
      session.client.on("PeersOnlineStatusChanged", (status) => {
        for (const [uid, state] of Object.entries(status)) {
          const person = this.people.get(uid);
          if (person?.followed) this.setPresence(person, state);
        }
      });
    }
    stop() {
      this.session = null;
      this.people.clear();
      this.current = null;
      this.render();
    }
    /** Someone one talks with: listed (unfollowed ones without a dot); `message` counts unread. */
    seen(uid, change) {
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
    async follow(uid) {
      const session = this.session;
      if (session === null) return;
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
    forget(uid) {
      this.people.delete(uid);
      this.render();
    }
    async unfollow(uid) {
      const session = this.session;
      const person = this.people.get(uid);
      if (session === null || person === void 0) return;
      await guard("unsubscribe", () => session.client.unsubscribePeersOnlineStatus([uid]));
      person.followed = false;
      this.setPresence(person, "unknown");
    }
    setPresence(person, state) {
      person.dot.dataset.presence = state;
      person.dot.title = state === "unknown" ? "not followed" : state.toLowerCase();
    }
    person(uid) {
      const known = this.people.get(uid);
      if (known !== void 0) return known;
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
        drop
      );
      const person = { item, dot, unread, followed: false, count: 0 };
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
    render() {
      byId("people").replaceChildren(...[...this.people.values()].map((p) => p.item));
      byId("people-empty").hidden = this.people.size > 0;
    }
  };

  // demo/src/sdk.ts
  function agoraRTM() {
    return AgoraRTM;
  }

  // demo/src/session.ts
  var DEMO_APP_ID = "openrtmDemoApp000000000000000000";
  var APP_ID_KEY = "openrtm-demo:appId";
  var KICKS = {
    REMOTE_LOGIN: "This user id logged in somewhere else.",
    TOKEN_EXPIRED: "The token expired: log in with a new one.",
    BANNED_BY_SERVER: "The server banned this user.",
    INTERRUPTED: "The connection ended and could not be resumed."
  };
  var SessionView = class {
    constructor(features) {
      this.features = features;
      this.session = null;
      this.form = byId("login-form");
      this.appId = byId("app-id");
      this.uid = byId("uid");
      this.token = byId("token");
      const query = new URLSearchParams(location.search);
      this.appId.value = query.get("appId") ?? localStorage.getItem(APP_ID_KEY) ?? DEMO_APP_ID;
      this.uid.value = query.get("uid") ?? `guest-${Math.floor(1e3 + Math.random() * 9e3)}`;
      this.token.value = query.get("token") ?? "";
      this.form.addEventListener("submit", (event) => {
        event.preventDefault();
        void this.login();
      });
      byId("logout").addEventListener("click", () => void this.logout());
    }
    async login() {
      const appId = this.appId.value.trim();
      const uid = this.uid.value;
      const token = this.token.value.trim();
      const client = await guard("createInstance", () => agoraRTM().createInstance(appId));
      if (client === void 0) return;
      client.on("ConnectionStateChanged", (state, reason) => {
        this.showState(state, reason);
        if (client !== this.session?.client) return;
        if (state === "ABORTED") {
          showNotice(`Disconnected (${reason})`, KICKS[reason] ?? "The server ended the session.");
          this.end();
        } else if (state === "DISCONNECTED") {
          this.end();
        }
      });
      const session = { client, uid };
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
    async logout() {
      const session = this.session;
      if (session === null) return;
      await guard("logout", () => session.client.logout());
    }
    /** Back to the sign-in form; the client is dropped (a new login makes a new one). */
    end() {
      const session = this.session;
      if (session === null) return;
      this.session = null;
      for (const feature of this.features) feature.stop();
      session.client.removeAllListeners();
      byId("app-view").hidden = true;
      byId("me").hidden = true;
      byId("login-view").hidden = false;
    }
    showApp(uid) {
      byId("login-view").hidden = true;
      byId("app-view").hidden = false;
      byId("me").hidden = false;
      byId("me-uid").textContent = uid;
      byId("me-avatar").textContent = uid.trim().charAt(0) || "?";
    }
    /** Spec §3.1: the state and the reason of its last change, always on screen. */
    showState(state, reason) {
      byId("connection").dataset.state = state;
      byId("connection-state").textContent = state;
      byId("connection-reason").textContent = reason;
    }
    setBusy(busy) {
      for (const element of this.form.elements) element.disabled = busy;
    }
  };

  // demo/src/main.ts
  var people = new People();
  var chat = new PeerChat();
  var channel = new ChannelPanel();
  var calls = new Calls();
  people.onSelect = (uid) => chat.open(uid);
  people.onCall = (uid) => void calls.dial(uid);
  chat.onPeer = (uid, change) => people.seen(uid, change);
  calls.onOutcome = (uid, outcome) => chat.system(uid, outcome);
  byId("call").addEventListener("click", () => {
    if (chat.peer !== null) void calls.dial(chat.peer);
  });
  new SessionView([people, chat, channel, calls]);
})();
