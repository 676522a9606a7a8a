// Errors stay next to what caused them and never replace the page. A refusal the server explains (an
// element with role="alert", like "no host m1 in this step") is swapped into the request's target like
// any answer; any other failed answer (a crash, a lost connection) becomes one line there instead.
"use strict";
(function () {
  function place(detail, message) {
    const note = document.createElement("div");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = message;
    const target = detail.target;
    if (target && target !== document.body && target !== document.documentElement) {
      target.replaceChildren(note);
    } else if (detail.elt && detail.elt.isConnected) {
      detail.elt.insertAdjacentElement("afterend", note);
    }
  }

  document.addEventListener("htmx:beforeSwap", (event) => {
    const detail = event.detail;
    const status = detail.xhr ? detail.xhr.status : 0;
    if (status < 400) return;
    if (/role="alert"/.test(detail.serverResponse || "") && !/<html/i.test(detail.serverResponse)) {
      detail.shouldSwap = true;  // the server's own words, made for this place
      detail.isError = false;
    } else {
      detail.shouldSwap = false;
      place(detail, `That did not work (the server answered ${status} ${detail.xhr.statusText}). ` +
                    "Try again, or reload the page if it keeps happening.");
    }
  });
  document.addEventListener("htmx:sendError", (event) => {
    place(event.detail, "No answer from the server: check the connection and try again.");
  });
  document.addEventListener("htmx:timeout", (event) => {
    place(event.detail, "The server took too long to answer: try again.");
  });
})();
