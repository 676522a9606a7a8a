// The live picture and the connection: htmx does the page; this file only keeps small conveniences that need a script.
"use strict";
document.addEventListener("htmx:wsError", () => {
  const progress = document.getElementById("progress");
  if (!progress) return;
  const note = document.createElement("span");
  note.className = "error";
  note.setAttribute("role", "alert");
  note.textContent = "The live connection to the server was lost. ";
  const reload = document.createElement("button");
  reload.type = "button";
  reload.textContent = "Reload the page";
  reload.addEventListener("click", () => location.reload());
  note.appendChild(reload);
  progress.replaceChildren(note);
});

// Live state: the agent watches the kernel and the server swaps in #live-state with what the picture
// shows (cables down, hosts present, traffic). Mark the picture in place, so a walk being played on it
// keeps going; mark it again when a step redraws the picture.
let liveView = null;

function applyLiveView() {
  const svg = document.getElementById("topology");
  if (!svg || !liveView) return;
  const down = new Set(liveView.down);
  const hosts = new Set(liveView.hosts);
  for (const line of svg.querySelectorAll("line.link")) {
    // A cable to a host whose namespace is gone is gone with it: grey, like the host.
    const ends = (line.dataset.hosts || "").split(" ").filter(Boolean);
    line.classList.toggle("missing", hosts.size > 0 && ends.some((host) => !hosts.has(host)));
    const isDown = down.has(line.id);
    if (line.classList.contains("down") !== isDown) {
      line.classList.toggle("down", isDown);
      const title = line.querySelector("title");
      if (title) title.textContent = title.textContent.replace(/ \(down\)$/, "") + (isDown ? " (down)" : "");
    }
  }
  for (const box of svg.querySelectorAll("g.host")) {
    const host = box.dataset.host;
    box.classList.toggle("missing", hosts.size > 0 && !hosts.has(host));
    const counters = box.querySelector(":scope > text.counters");
    if (counters) counters.textContent = liveView.counters[host] || "";
  }
  svg.dataset.liveSeq = String(liveView.seq);
}

// Swaps from the websocket fire only the out-of-band events: a new picture (#stage) comes that way too.
document.addEventListener("htmx:oobAfterSwap", (event) => {
  // The event's target is the element swapped out: read the one swapped in.
  const state = document.getElementById("live-state");
  if (event.detail.target && event.detail.target.id === "live-state" && state && state.textContent) {
    liveView = JSON.parse(state.textContent);
  }
  applyLiveView();
});
document.addEventListener("htmx:afterSettle", applyLiveView);
// However the picture is redrawn (a step, a late build), mark the new one at once.
let markedPicture = null;
new MutationObserver(() => {
  const svg = document.getElementById("topology");
  if (svg && svg !== markedPicture) {
    markedPicture = svg;
    applyLiveView();
  }
}).observe(document.body, {childList: true, subtree: true});
