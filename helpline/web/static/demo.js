/*
 * The demo page follows the chat widget's language: helpline-chat.js announces it
 * ("helpline-chat:language" on document) when it starts and whenever it changes;
 * this sets <html lang> (demo.css shows that language's text, screen readers read
 * in it) and the page title. Loaded in <head>, before the widget, so it hears the first.
 */
(function () {
  "use strict";

  var root = document.documentElement;

  document.addEventListener("helpline-chat:language", function (event) {
    var language = event.detail && event.detail.language;
    var title = language ? root.getAttribute("data-title-" + language) : null;
    if (!title) return;  // a language this page has no text for
    root.setAttribute("lang", language);
    document.title = title;
  });
})();
