// Podpath's player: htmx does the page; this file only keeps small conveniences that need a script.
"use strict";
document.addEventListener("htmx:wsError", () => {
  const progress = document.getElementById("progress");
  if (progress) progress.textContent = "live connection lost; reload the page";
});
