// The packet walk on the picture: a dot moves from host to host along the walk's hops, the matching
// row of the event list lights up; play, pause, step forward and back, and three speeds.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  let steps = [], current = -1, timer = null, delay = 700;

  function center(host) {
    const group = document.getElementById("node-" + host);
    if (!group) return null;
    const box = group.querySelector("rect").getBBox();
    return { x: box.x + box.width / 2, y: box.y + Math.min(box.height / 2, 22) };
  }

  function dot() {
    const layer = document.getElementById("walk-layer");
    if (!layer) return null;
    let packet = document.getElementById("walk-packet");
    if (!packet) {
      packet = document.createElementNS(SVG, "circle");
      packet.id = "walk-packet";
      packet.setAttribute("r", "9");
      layer.appendChild(packet);
    }
    return packet;
  }

  function show(index) {
    if (!steps.length) return;
    current = Math.max(0, Math.min(index, steps.length - 1));
    steps.forEach((row, i) => row.classList.toggle("current", i === current));
    steps[current].scrollIntoView({ block: "nearest" });
    const at = center(steps[current].dataset.host);
    const packet = dot();
    if (at && packet) {
      packet.setAttribute("cx", at.x);
      packet.setAttribute("cy", at.y);
      packet.classList.toggle("reply", steps[current].textContent.includes("reply"));
    }
  }

  function play() {
    pause();
    if (current >= steps.length - 1) current = -1;
    timer = setInterval(() => {
      if (current >= steps.length - 1) return pause();
      show(current + 1);
    }, delay);
  }

  function pause() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  function load() {
    steps = Array.from(document.querySelectorAll("#walk-events tr.walk-step"));
    current = -1;
    if (steps.length) { show(0); play(); }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-walk]");
    if (!button || button.tagName === "SELECT") return;
    const action = button.dataset.walk;
    if (action === "play") play();
    else if (action === "pause") pause();
    else if (action === "forward") { pause(); show(current + 1); }
    else if (action === "back") { pause(); show(current - 1); }
  });
  document.addEventListener("change", (event) => {
    if (event.target.dataset && event.target.dataset.walk === "speed") {
      delay = Number(event.target.value);
      if (timer) play();
    }
  });
  document.addEventListener("click", (event) => {
    const row = event.target.closest("tr.walk-step");
    if (row && !event.target.closest("details")) { pause(); show(Number(row.dataset.step)); }
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "walk-output") load();
    // The picture is swapped when the sandbox changes: put the dot back where it was.
    if (event.detail.target && event.detail.target.id === "picture" && current >= 0) show(current);
  });
  window.podpathWalk = { show, play, pause, steps: () => steps, current: () => current };
})();
