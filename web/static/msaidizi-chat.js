/*
 * Msaidizi's chat widget: a small, accessible client for Rasa's socket.io channel.
 *
 * Load socket.io.min.js first, then this script with data-rasa-url (and optionally
 * data-max-chars); it fills the element #msaidizi-chat, or adds one to the page.
 * The session id and the messages are kept in localStorage, so a reload goes on
 * with the same conversation; "New conversation" forgets both.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var RASA_URL = (script && script.dataset.rasaUrl) || "http://localhost:5005";
  var MAX_CHARS = parseInt((script && script.dataset.maxChars) || "4096", 10);
  var SESSION_KEY = "msaidizi.session_id";
  var HISTORY_KEY = "msaidizi.history";
  // The server's time of the newest bot message shown: on reconnecting, the page
  // asks for anything newer (said while it was closed or offline).
  var LAST_AT_KEY = "msaidizi.last_at";
  var UI_LANGUAGE_KEY = "msaidizi.ui_language";
  var HISTORY_LIMIT = 200;

  var STRINGS = {
    en: {
      title: "Msaidizi",
      subtitle: "KSG training helpdesk",
      log: "Conversation with Msaidizi",
      label: "Your message",
      placeholder: "Write in English or Kiswahili…",
      send: "Send",
      newConversation: "New conversation",
      otherLanguage: "Kiswahili",
      otherLanguageCode: "sw",
      you: "You",
      bot: "Msaidizi",
      connecting: "Connecting to Msaidizi…",
      connected: "Connected",
      reconnecting: "Connection lost — reconnecting…",
      unreachable: "Msaidizi cannot be reached right now. Retrying… (your message is kept)",
      unavailable: "The chat could not load. Please reload the page.",
      typing: "Msaidizi is typing…",
      tooLong: "Your message is too long: at most {max} characters.",
      counter: "{n} of {max} characters",
      download: "Download {name}",
      fileNotKept: "{name} (sent earlier; ask again for a new copy)",
      buttons: "Choices",
    },
    sw: {
      title: "Msaidizi",
      subtitle: "Huduma ya mafunzo ya KSG",
      log: "Mazungumzo na Msaidizi",
      label: "Ujumbe wako",
      placeholder: "Andika kwa Kiswahili au Kiingereza…",
      send: "Tuma",
      newConversation: "Mazungumzo mapya",
      otherLanguage: "English",
      otherLanguageCode: "en",
      you: "Wewe",
      bot: "Msaidizi",
      connecting: "Inaunganisha na Msaidizi…",
      connected: "Imeunganishwa",
      reconnecting: "Muunganisho umekatika — inaunganisha tena…",
      unreachable: "Msaidizi hapatikani kwa sasa. Inajaribu tena… (ujumbe wako umehifadhiwa)",
      unavailable: "Mazungumzo hayakuweza kupakiwa. Tafadhali pakia ukurasa upya.",
      typing: "Msaidizi anaandika…",
      tooLong: "Ujumbe wako ni mrefu mno: usizidi herufi {max}.",
      counter: "herufi {n} kati ya {max}",
      download: "Pakua {name}",
      fileNotKept: "{name} (ilitumwa awali; omba nakala mpya)",
      buttons: "Chaguo",
    },
  };

  // Shown in both languages, whatever the UI language: the officer answers in either.
  var WELCOME =
    "Habari! Mimi ni Msaidizi. Niulize kuhusu kozi za ujuzi wa kidijitali za KSG, " +
    "kujiandikisha, au hali ya maombi yako.\n\n" +
    "Hello! I'm Msaidizi. Ask me about KSG's digital-skills courses, registering, " +
    "or the status of your application — in English or Kiswahili.";

  function store(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) {
      /* storage disabled: the conversation lasts as long as the page */
    }
  }

  function load(key) {
    try {
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function loadHistory() {
    try {
      var items = JSON.parse(load(HISTORY_KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function preferredLanguage() {
    var saved = load(UI_LANGUAGE_KEY);
    if (saved === "en" || saved === "sw") return saved;
    var browser = (navigator.language || "en").toLowerCase();
    return browser.indexOf("sw") === 0 ? "sw" : "en";
  }

  // --- The widget ------------------------------------------------------------------

  var root = document.getElementById("msaidizi-chat");
  if (!root) {
    root = element("div", { id: "msaidizi-chat" });
    document.body.appendChild(root);
  }
  root.classList.add("msaidizi");

  var language = preferredLanguage();
  var history = loadHistory();
  var sessionId = load(SESSION_KEY);
  var lastAt = parseFloat(load(LAST_AT_KEY)) || null;
  var state = "connecting"; // connecting | ready | reconnecting | unreachable | unavailable
  var everConnected = false;
  var waitingForReply = false;
  var socket = null;

  var header = element("header", { class: "msaidizi-header" });
  var title = element("h2", { id: "msaidizi-title", class: "msaidizi-title" });
  var languageButton = element("button", { type: "button", class: "msaidizi-secondary" });
  var newButton = element("button", { type: "button", class: "msaidizi-secondary" });
  header.append(title, languageButton, newButton);

  var status = element("p", { class: "msaidizi-status", role: "status", "aria-live": "polite" });
  var log = element("div", {
    class: "msaidizi-log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    tabindex: "0",
  });
  var form = element("form", { class: "msaidizi-form", novalidate: "" });
  var label = element("label", { for: "msaidizi-input", class: "msaidizi-label" });
  var input = element("textarea", {
    id: "msaidizi-input",
    rows: "2",
    maxlength: String(MAX_CHARS),
    autocomplete: "off",
    "aria-describedby": "msaidizi-counter",
  });
  var counter = element("span", { id: "msaidizi-counter", class: "msaidizi-counter" });
  var sendButton = element("button", { type: "submit", class: "msaidizi-send" });
  form.append(label, input, counter, sendButton);
  root.replaceChildren(header, status, log, form);
  root.setAttribute("aria-labelledby", "msaidizi-title");

  function t(key, values) {
    return format(STRINGS[language][key], values || {});
  }

  function renderStrings() {
    root.setAttribute("lang", language);
    title.textContent = t("title") + " — " + t("subtitle");
    languageButton.textContent = t("otherLanguage");
    languageButton.setAttribute("lang", t("otherLanguageCode"));
    newButton.textContent = t("newConversation");
    log.setAttribute("aria-label", t("log"));
    label.textContent = t("label");
    input.setAttribute("placeholder", t("placeholder"));
    sendButton.textContent = t("send");
    renderCounter();
    renderStatus();
  }

  function renderCounter() {
    counter.textContent = t("counter", { n: input.value.length, max: MAX_CHARS });
  }

  function renderStatus() {
    var text = {
      connecting: t("connecting"),
      ready: waitingForReply ? t("typing") : t("connected"),
      reconnecting: t("reconnecting"),
      unreachable: t("unreachable"),
      unavailable: t("unavailable"),
    }[state];
    status.textContent = text;
    root.dataset.state = state;
    sendButton.disabled = state !== "ready";
  }

  function setState(next) {
    state = next;
    renderStatus();
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function remember(item) {
    history.push(item);
    if (history.length > HISTORY_LIMIT) history = history.slice(-HISTORY_LIMIT);
    store(HISTORY_KEY, JSON.stringify(history));
  }

  // The bot's replies mark headings *like this* (as Telegram and WhatsApp show
  // bold); shown bold here too, built as nodes, never as HTML.
  function formatted(text) {
    var paragraph = element("p", { class: "msaidizi-text" });
    text.split(/\*([^*\n]+)\*/).forEach(function (part, index) {
      if (!part) return;
      paragraph.append(index % 2 ? element("strong", {}, part) : document.createTextNode(part));
    });
    return paragraph;
  }

  function showMessage(item, fresh) {
    var who = item.from === "user" ? "user" : "bot";
    var bubble = element("div", { class: "msaidizi-message msaidizi-" + who });
    bubble.append(
      element("span", { class: "msaidizi-visually-hidden" }, (who === "user" ? t("you") : t("bot")) + ": ")
    );
    if (item.text) bubble.append(formatted(item.text));
    if (item.file) {
      if (fresh && item.file.content !== undefined) {
        var blob = new Blob([item.file.content], { type: item.file.mime_type || "text/plain" });
        var link = element("a", { href: URL.createObjectURL(blob), download: item.file.filename, class: "msaidizi-file" });
        link.textContent = t("download", { name: item.file.filename });
        bubble.append(link);
      } else {
        bubble.append(element("p", { class: "msaidizi-file" }, t("fileNotKept", { name: item.file.filename })));
      }
    }
    if (item.buttons && item.buttons.length) {
      var group = element("div", { class: "msaidizi-buttons", role: "group", "aria-label": t("buttons") });
      item.buttons.forEach(function (button) {
        var choice = element("button", { type: "button", class: "msaidizi-choice" }, button.title);
        choice.addEventListener("click", function () {
          send(button.payload, button.title);
        });
        group.append(choice);
      });
      bubble.append(group);
    }
    log.append(bubble);
    scrollToEnd();
  }

  function showWelcome() {
    showMessage({ from: "bot", text: WELCOME });
  }

  function renderHistory() {
    log.replaceChildren();
    showWelcome();
    history.forEach(function (item) {
      showMessage(item, false);
    });
  }

  function receive(data) {
    if (!data || typeof data !== "object") return;
    if (typeof data.at === "number" && isFinite(data.at)) {
      if (lastAt !== null && data.at < lastAt) return; // already shown
      lastAt = data.at;
      store(LAST_AT_KEY, String(lastAt));
    }
    var item = { from: "bot" };
    if (typeof data.text === "string" && data.text) item.text = data.text;
    var buttons = data.quick_replies || data.buttons || [];
    if (Array.isArray(buttons) && buttons.length) {
      item.buttons = buttons
        .filter(function (b) {
          return b && typeof b.title === "string" && typeof b.payload === "string";
        })
        .map(function (b) {
          return { title: b.title, payload: b.payload };
        });
    }
    var custom = data.custom;
    if (custom && custom.type === "file" && typeof custom.filename === "string") {
      item.file = { filename: custom.filename, mime_type: custom.mime_type, content: String(custom.content || "") };
    }
    if (data.attachment && data.attachment.payload && data.attachment.payload.src) {
      item.text = (item.text ? item.text + "\n" : "") + data.attachment.payload.src;
    }
    if (!item.text && !item.buttons && !item.file) return;
    waitingForReply = false;
    renderStatus();
    showMessage(item, true);
    // A file's content is personal data: keep only its name in localStorage.
    var kept = { from: "bot", text: item.text, buttons: item.buttons };
    if (item.file) kept.file = { filename: item.file.filename };
    remember(kept);
  }

  function send(message, shown) {
    if (state !== "ready" || !socket) return false;
    if (message.length > MAX_CHARS) {
      status.textContent = t("tooLong", { max: MAX_CHARS });
      return false;
    }
    var item = { from: "user", text: shown || message };
    showMessage(item, true);
    remember(item);
    socket.emit("user_uttered", { message: message, session_id: sessionId });
    waitingForReply = true;
    renderStatus();
    input.focus();
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    if (send(text)) {
      input.value = "";
      renderCounter();
    }
  });

  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter starts a new line.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", renderCounter);

  languageButton.addEventListener("click", function () {
    language = language === "en" ? "sw" : "en";
    store(UI_LANGUAGE_KEY, language);
    renderStrings();
    renderHistory();
  });

  newButton.addEventListener("click", function () {
    history = [];
    sessionId = null;
    lastAt = null;
    store(HISTORY_KEY, null);
    store(SESSION_KEY, null);
    store(LAST_AT_KEY, null);
    renderHistory();
    if (socket) {
      // A new socket too, so nothing addressed to the old conversation arrives here.
      socket.disconnect();
      socket.connect();
    }
    input.focus();
  });

  renderStrings();
  renderHistory();

  if (typeof window.io !== "function") {
    setState("unavailable");
    return;
  }

  socket = window.io(RASA_URL, {
    path: "/socket.io",
    transports: ["websocket", "polling"],
    tryAllTransports: true,
    reconnectionDelayMax: 10000,
  });

  socket.on("connect", function () {
    // On every (re)connection: ask for our session again, so replies reach us.
    var request = { session_id: sessionId };
    if (sessionId && lastAt !== null) request.since = lastAt;
    socket.emit("session_request", request);
  });

  socket.on("session_confirm", function (confirmed) {
    var id = typeof confirmed === "string" ? confirmed : confirmed && confirmed.session_id;
    if (!id) return;
    if (sessionId && id !== sessionId) {
      // The server did not accept the stored id: this is a new conversation.
      history = [];
      lastAt = null;
      store(HISTORY_KEY, null);
      store(LAST_AT_KEY, null);
      renderHistory();
    }
    sessionId = id;
    store(SESSION_KEY, id);
    everConnected = true;
    setState("ready");
  });

  socket.on("bot_uttered", receive);

  socket.on("disconnect", function () {
    waitingForReply = false;
    setState("reconnecting");
  });

  socket.on("connect_error", function () {
    setState(everConnected ? "reconnecting" : "unreachable");
  });
})();
