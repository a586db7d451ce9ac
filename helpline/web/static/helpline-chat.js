/*
 * Helpline chat widget: plain JavaScript, no build step, no dependencies.
 *
 * Embed with one tag (the page at / of the web process shows it filled in):
 *   <script src="https://HELPLINE-WEB/widget/helpline-chat.js"
 *           data-server="https://HELPLINE-RASA" data-phone="(877) 224-0761" defer></script>
 * Optional: data-language="es" (the page's language), data-title (the title in that
 * language), data-title-en / data-title-es (the title in each).
 *
 * It talks to Rasa's REST channel (POST {data-server}/webhooks/rest/webhook).
 * The sender id (web- + 16 bytes from crypto.getRandomValues: the id is all that
 * identifies a conversation, so it must be unguessable; the server refuses other
 * shapes) and the transcript stay in sessionStorage: a reload or the next page
 * in the same tab keeps the conversation, closing the tab forgets it, so the
 * transcript (health details) does not outlive the visit on a shared family
 * computer. They also expire with Rasa's session (data-expire-minutes, 240) and
 * "Clear" wipes them at once.
 *
 * Languages: every word the widget shows is in LABELS, one table per language.
 * It starts in the script tag's data-language, else the page's <html lang>, else
 * the browser's language, else English; the header's "English | Español" switches
 * it and asks the bot to switch too; and a bot message saying which language it
 * is in (the bot noticed the person writes Spanish) switches it as well. The
 * language is kept with the conversation, sent with each message (the server's
 * own notices use it) and announced to the page as a "helpline-chat:language"
 * event on document (the demo page follows it).
 *
 * Safety: every piece of text goes into the page through textContent or text
 * nodes, never innerHTML; only http(s) URLs and phone numbers become links,
 * and their href is built from the parsed value, not the raw text.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.HelplineChat) return;

  function attr(name, fallback) {
    var value = script.getAttribute(name);
    return value === null || value === "" ? fallback : value;
  }

  // --- words: everything the widget shows, per language ------------------------------------------
  // Plain JSON between the markers: tests/channels/test_widget_languages.py reads it and
  // fails when a key is in one language only. {phone} and {emergency} come from the
  // script tag; "name" is each language's own name, shown on the switch.
  var LABELS = /* labels:begin */ {
    "en": {
      "name": "English",
      "title": "Chat with us",
      "language": "Language",
      "clear": "Clear",
      "clearHint": "Delete this conversation from this device and start over",
      "close": "Close chat",
      "crisisBar": "In an emergency call {emergency}. Crisis: call or text 988.",
      "placeholder": "Type your message",
      "send": "Send",
      "typing": "The assistant is typing",
      "suggested": "Suggested answers",
      "unreachable": "Sorry, the chat can't be reached right now. Please try again. In an emergency call {emergency}.",
      "unreachableCall": "Sorry, the chat can't be reached right now. Please try again, or call {phone}. In an emergency call {emergency}."
    },
    "es": {
      "name": "Español",
      "title": "Chatee con nosotros",
      "language": "Idioma",
      "clear": "Borrar",
      "clearHint": "Borrar esta conversación de este dispositivo y empezar de nuevo",
      "close": "Cerrar el chat",
      "crisisBar": "En una emergencia, llame al {emergency}. En una crisis, llame o envíe un mensaje de texto al 988 (oprima el 2 para español).",
      "placeholder": "Escriba su mensaje",
      "send": "Enviar",
      "typing": "El asistente está escribiendo",
      "suggested": "Respuestas sugeridas",
      "unreachable": "Lo sentimos, el chat no está disponible en este momento. Por favor, inténtelo de nuevo. En una emergencia, llame al {emergency}.",
      "unreachableCall": "Lo sentimos, el chat no está disponible en este momento. Por favor, inténtelo de nuevo o llame al {phone}. En una emergencia, llame al {emergency}."
    }
  } /* labels:end */;
  var DEFAULT_LANGUAGE = "en";

  // "es-MX", "ES", "es_US" -> "es"; a language without labels -> null.
  function supported(value) {
    var code = String(value || "").trim().toLowerCase().split(/[-_]/)[0];
    return Object.prototype.hasOwnProperty.call(LABELS, code) ? code : null;
  }

  // The page's language: the tag's data-language, else <html lang>, else the browser's.
  var pageLanguage = supported(script.getAttribute("data-language")) ||
    supported(document.documentElement.getAttribute("lang")) ||
    supported(window.navigator && window.navigator.language) || DEFAULT_LANGUAGE;

  var server = attr("data-server", "").replace(/\/+$/, "");
  var config = {
    server: server,
    phone: attr("data-phone", ""),
    emergency: attr("data-emergency", "911"),
    open: attr("data-open", "false") === "true",
    initialPayload: attr("data-initial-payload", "/greet"),
    expireMs: (parseInt(attr("data-expire-minutes", "240"), 10) || 240) * 60 * 1000,
    timeoutMs: 30000,
    storageKey: "helpline-chat:v1:" + server
  };
  var baseUrl = new URL(".", script.src).href;

  // --- storage: sessionStorage when the browser allows it, memory otherwise --------------
  var memory = null;

  // Versions before this one kept the transcript in localStorage, where it stayed
  // after the tab closed: delete what they left.
  try { window.localStorage.removeItem(config.storageKey); } catch (e) { /* storage blocked */ }

  var WEB_ID = /^web-[0-9a-f]{32}$/;

  function newSenderId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function freshState(language) {
    // replies: the buttons on offer now; open: whether the panel was open; language: the labels'.
    return { senderId: newSenderId(), messages: [], replies: [], open: false, language: language,
             updatedAt: Date.now() };
  }

  function loadState() {
    var state = memory;
    try {
      var raw = window.sessionStorage.getItem(config.storageKey);
      if (raw) state = JSON.parse(raw);
    } catch (e) { /* storage blocked or corrupt: start over */ }
    // The id's shape is helpline/channels/web_ids.py's: one the server refuses would leave the chat unreachable.
    if (!state || typeof state.senderId !== "string" || !WEB_ID.test(state.senderId) ||
        !Array.isArray(state.messages) || !Array.isArray(state.replies) ||
        Date.now() - (state.updatedAt || 0) > config.expireMs) {
      state = freshState(pageLanguage);
    }
    // Stored by a version without languages, or a language this version has no labels for.
    if (!supported(state.language)) state.language = pageLanguage;
    return state;
  }

  function saveState() {
    state.updatedAt = Date.now();
    memory = state;
    try {
      window.sessionStorage.setItem(config.storageKey, JSON.stringify(state));
    } catch (e) { /* quota or privacy mode: the conversation still works */ }
  }

  function forgetState() {
    memory = null;
    try { window.sessionStorage.removeItem(config.storageKey); } catch (e) { /* nothing stored */ }
  }

  // --- safe rendering ------------------------------------------------------------------------
  // A URL, a North American phone number, or 911 / 988 on their own.
  var LINKABLE = /(https?:\/\/[^\s<>"']+)|((?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4})|(\b(?:911|988)\b)/g;
  var TRAILING = /[.,;:!?)\]'"]+$/;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function safeHttpUrl(text) {
    try {
      var url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function isDigit(ch) { return ch >= "0" && ch <= "9"; }

  // Fills `parent` with `text`, turning URLs and phone numbers into links.
  function appendLinkified(parent, text) {
    var last = 0, match;
    LINKABLE.lastIndex = 0;
    while ((match = LINKABLE.exec(text)) !== null) {
      var found = match[0], start = match.index, href = null;
      if (match[1]) {
        var trailing = found.match(TRAILING);
        if (trailing) found = found.slice(0, -trailing[0].length);
        href = safeHttpUrl(found);
      } else if (!isDigit(text.charAt(start - 1) || "") && !isDigit(text.charAt(start + found.length) || "")) {
        var digits = found.replace(/\D/g, "");
        href = "tel:" + (found.charAt(0) === "+" ? "+" : "") + digits;
      }
      if (!href) continue;
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      var link = el("a", "hc-link", found);
      link.href = href;
      if (match[1]) {
        link.target = "_blank";
        link.rel = "noopener noreferrer nofollow";
      }
      parent.appendChild(link);
      last = start + found.length;
      LINKABLE.lastIndex = last;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // --- the widget -----------------------------------------------------------------------------
  var state = loadState();
  var busy = false;
  var host = el("div");
  host.id = "helpline-chat";
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;

  var stylesheet = el("link");
  stylesheet.rel = "stylesheet";
  stylesheet.href = baseUrl + "helpline-chat.css";

  var launcher = el("button", "hc-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "hc-panel");

  var panel = el("section", "hc-panel");
  panel.id = "hc-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");

  var header = el("header", "hc-header");
  var title = el("span", "hc-title");
  // "English | Español": each name in its own language, so each reader finds theirs.
  var languageGroup = el("div", "hc-languages");
  languageGroup.setAttribute("role", "group");
  var languageButtons = {};
  Object.keys(LABELS).forEach(function (code) {
    var choice = el("button", "hc-language", LABELS[code].name);
    choice.type = "button";
    choice.setAttribute("lang", code);
    choice.addEventListener("click", function () { chooseLanguage(code); });
    languageButtons[code] = choice;
    languageGroup.appendChild(choice);
  });
  var clearButton = el("button", "hc-clear");
  clearButton.type = "button";
  var closeButton = el("button", "hc-close", "\u00d7");
  closeButton.type = "button";
  header.appendChild(title);
  header.appendChild(clearButton);
  header.appendChild(closeButton);
  header.appendChild(languageGroup);  // a row of its own (helpline-chat.css)

  var notice = el("p", "hc-notice");

  var log = el("div", "hc-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");

  var form = el("form", "hc-form");
  var input = el("textarea", "hc-input");
  input.rows = 1;
  input.maxLength = 1000;
  var sendButton = el("button", "hc-send");
  sendButton.type = "submit";
  form.appendChild(input);
  form.appendChild(sendButton);

  panel.appendChild(header);
  panel.appendChild(notice);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(stylesheet);
  root.appendChild(launcher);
  root.appendChild(panel);

  var typing = el("div", "hc-msg hc-bot hc-typing");
  typing.setAttribute("role", "status");
  var dots = el("div", "hc-bubble");
  for (var i = 0; i < 3; i++) dots.appendChild(el("span", "hc-dot"));
  typing.appendChild(dots);

  // --- the language of the labels ---------------------------------------------------------------
  function words() {
    return LABELS[state.language] || LABELS[DEFAULT_LANGUAGE];
  }

  function fill(template) {
    // Functions, so that a "$" in a value is never read as a replacement pattern.
    return template.replace("{phone}", function () { return config.phone; })
      .replace("{emergency}", function () { return config.emergency; });
  }

  // The provider's own title: data-title-<lang>, or data-title in the page's language.
  function titleText() {
    var own = script.getAttribute("data-title-" + state.language) ||
      (state.language === pageLanguage ? script.getAttribute("data-title") : "");
    return own || words().title;
  }

  function applyLanguage() {
    var t = words();
    // Screen readers pronounce the widget in its language, whatever the page's.
    host.setAttribute("lang", state.language);
    launcher.textContent = titleText();
    panel.setAttribute("aria-label", titleText());
    title.textContent = titleText();
    languageGroup.setAttribute("aria-label", t.language);
    Object.keys(languageButtons).forEach(function (code) {
      languageButtons[code].setAttribute("aria-pressed", code === state.language ? "true" : "false");
    });
    clearButton.textContent = t.clear;
    clearButton.title = t.clearHint;
    closeButton.setAttribute("aria-label", t.close);
    while (notice.firstChild) notice.removeChild(notice.firstChild);
    appendLinkified(notice, fill(t.crisisBar));
    input.placeholder = t.placeholder;
    input.setAttribute("aria-label", t.placeholder);
    sendButton.textContent = t.send;
    typing.setAttribute("aria-label", t.typing);
    var groups = log.querySelectorAll(".hc-replies");
    for (var g = 0; g < groups.length; g++) groups[g].setAttribute("aria-label", t.suggested);
  }

  function announceLanguage() {
    var detail = { language: state.language };
    var event;
    try {
      event = new CustomEvent("helpline-chat:language", { detail: detail });
    } catch (e) { /* very old browsers: no event, the page stays as it is */ return; }
    document.dispatchEvent(event);
  }

  function setLanguage(language) {
    if (!supported(language) || language === state.language) return;
    state.language = language;
    saveState();
    applyLanguage();
    announceLanguage();
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function renderMessage(message) {
    var row = el("div", "hc-msg hc-" + message.from);
    var bubble = el("div", "hc-bubble");
    if (supported(message.language)) bubble.setAttribute("lang", message.language);
    if (message.from === "user") {
      bubble.textContent = message.text;
    } else {
      appendLinkified(bubble, message.text || "");
    }
    row.appendChild(bubble);
    log.appendChild(row);
  }

  function clearReplies() {
    var old = log.querySelectorAll(".hc-replies");
    for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
  }

  function renderReplies(buttons) {
    clearReplies();
    state.replies = buttons || [];
    saveState();
    if (!buttons || !buttons.length) return;
    var group = el("div", "hc-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", words().suggested);
    buttons.forEach(function (button) {
      var choice = el("button", "hc-reply", String(button.title || button.payload || ""));
      choice.type = "button";
      choice.addEventListener("click", function () {
        send(String(button.payload || button.title || ""), String(button.title || button.payload || ""));
      });
      group.appendChild(choice);
    });
    log.appendChild(group);
  }

  function renderAll() {
    while (log.firstChild) log.removeChild(log.firstChild);
    state.messages.forEach(renderMessage);
    renderReplies(state.replies);
    scrollToEnd();
  }

  function addMessage(message) {
    state.messages.push(message);
    saveState();
    renderMessage(message);
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    Object.keys(languageButtons).forEach(function (code) { languageButtons[code].disabled = value; });
    if (value) {
      log.appendChild(typing);
    } else if (typing.parentNode) {
      typing.parentNode.removeChild(typing);
    }
    scrollToEnd();
  }

  function unreachableText() {
    return fill(config.phone ? words().unreachableCall : words().unreachable);
  }

  // The opening message is a payload, in which the bot can read no language: it is
  // told the page's when that is not the default (the `language` entity, as the
  // language switch sends it).
  function openingPayload() {
    var payload = config.initialPayload;
    if (state.language !== DEFAULT_LANGUAGE && /^\/[A-Za-z0-9_]+$/.test(payload)) {
      payload += JSON.stringify({ language: state.language });
    }
    return payload;
  }

  function chooseLanguage(language) {
    if (busy || language === state.language) return;
    setLanguage(language);
    // The bot switches too, and says so in the new language; the person sees the
    // button they pressed as their message, as with any other button.
    send("/switch_language" + JSON.stringify({ language: language }), LABELS[language].name);
  }

  // `shown` is what the visitor sees as their message (a button's title), or null
  // for the opening greeting, which is sent but not shown.
  function send(message, shown) {
    if (busy || !message) return;
    renderReplies(null);
    if (shown !== null) addMessage({ from: "user", text: shown });
    setBusy(true);
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, config.timeoutMs);
    fetch(config.server + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // The widget's language words the server's own notices (too long, not saved, too many).
      body: JSON.stringify({ sender: state.senderId, message: message, metadata: { language: state.language } }),
      signal: controller ? controller.signal : undefined,
      credentials: "omit"
    }).then(function (response) {
      // Too many messages too fast: the server's kind notice (with the phone
      // numbers) is shown, and the unsent text is kept for when it may be sent.
      if (response.status === 429) {
        return response.json().then(function (body) {
          if (shown !== null && !input.value) input.value = shown;
          var notice = body && Array.isArray(body.messages) ? body.messages : [];
          if (!notice.length) throw new Error("HTTP 429");
          return notice;
        });
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (replies) {
      setBusy(false);
      var buttons = null;
      var spoken = null;
      (Array.isArray(replies) ? replies : []).forEach(function (reply) {
        var text = typeof reply.text === "string" ? reply.text : "";
        var offered = Array.isArray(reply.buttons) ? reply.buttons.map(function (b) {
          return { title: String(b.title || ""), payload: String(b.payload || "") };
        }) : [];
        if (!text && !offered.length) return;
        var language = supported(reply.language);
        addMessage(language ? { from: "bot", text: text, language: language } : { from: "bot", text: text });
        if (language) spoken = language;
        if (offered.length) buttons = offered;
      });
      // The bot answers in the person's language: the labels follow it.
      if (spoken) setLanguage(spoken);
      // The last buttons of the turn stay on offer, as in SMS.
      renderReplies(buttons);
    }).catch(function () {
      setBusy(false);
      if (shown !== null && !input.value) input.value = shown;
      renderMessage({ from: "system", text: unreachableText() });
    }).then(function () {
      clearTimeout(timer);
      scrollToEnd();
    });
  }

  function openPanel() {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    state.open = true;
    saveState();
    renderAll();
    if (!state.messages.length && config.initialPayload) send(openingPayload(), null);
    input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    saveState();
    launcher.focus();
  }

  launcher.addEventListener("click", openPanel);
  closeButton.addEventListener("click", closePanel);
  clearButton.addEventListener("click", function () {
    forgetState();
    // A new conversation, in the language the person was reading.
    state = freshState(state.language);
    state.open = true;
    renderAll();
    if (config.initialPayload) send(openingPayload(), null);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    send(text, text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel();
  });

  function mount() {
    applyLanguage();
    document.body.appendChild(host);
    // The page learns the conversation's language, a remembered one included.
    announceLanguage();
    // A reload keeps the panel as it was.
    if (config.open || state.open) openPanel();
  }

  if (!config.server) {
    if (window.console) console.error("helpline-chat: the script tag needs data-server (the Rasa server's URL)");
    return;
  }
  window.HelplineChat = {
    open: openPanel,
    close: closePanel,
    language: function () { return state.language; }
  };
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
