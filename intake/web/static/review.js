// Reviewer UI behaviour: evidence boxes, highlight on click, the page viewer (zoom, pan, rotate),
// keyboard shortcuts, actions without reloads. Packet text is only ever read or written through
// textContent / attributes, never innerHTML; the one HTML this script inserts is the server's own
// autoescaped review panel, parsed with DOMParser (and the page's CSP runs no script that could
// hide in it).
"use strict";

function placeBoxes() {
  // Box geometry arrives as percentages of the upright page, so it fits any rendered size.
  for (const box of document.querySelectorAll(".box[data-left]")) {
    box.style.left = box.dataset.left + "%";
    box.style.top = box.dataset.top + "%";
    box.style.width = box.dataset.width + "%";
    box.style.height = box.dataset.height + "%";
  }
}

// The page viewer: one zoom (1 = the page fits the column's width) and one turn (0, 90, 180 or
// 270 degrees clockwise) for every page. Each sheet (the image and its boxes) is sized and turned
// as a whole with a CSS transform, and its frame takes the turned size, so a box stays on its
// words at every zoom and turn; zoomed pages are panned by scrolling or dragging the column.
const ZOOM_STEPS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4];
const viewer = {zoom: 1, turn: 0};

function sheetTransform(turn, width, height) {
  switch (turn) {
    case 90: return `translate(${height}px, 0) rotate(90deg)`;
    case 180: return `translate(${width}px, ${height}px) rotate(180deg)`;
    case 270: return `translate(0, ${width}px) rotate(270deg)`;
    default: return "none";
  }
}

function layoutPages() {
  const pages = document.getElementById("pages");
  if (!pages) return;
  const style = getComputedStyle(pages);
  const room = pages.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  if (room <= 0) return;  // not shown (yet): keep the plain layout
  const turned = viewer.turn % 180 !== 0;
  for (const sheet of pages.querySelectorAll(".sheet")) {
    const image = sheet.querySelector("img");
    const pageWidth = parseFloat(sheet.dataset.pageWidth) || image.naturalWidth;
    const pageHeight = parseFloat(sheet.dataset.pageHeight) || image.naturalHeight;
    if (!pageWidth || !pageHeight) continue;
    const across = room * viewer.zoom;  // the width the page takes on screen, turned or not
    const width = turned ? across * pageWidth / pageHeight : across;
    const height = width * pageHeight / pageWidth;
    sheet.style.width = width + "px";
    sheet.style.height = height + "px";
    sheet.style.transform = sheetTransform(viewer.turn, width, height);
    sheet.parentElement.style.width = (turned ? height : width) + "px";
    sheet.parentElement.style.height = (turned ? width : height) + "px";
  }
  pages.classList.add("laid-out");
  pages.classList.toggle("zoomed", viewer.zoom > 1);
  pages.dataset.zoom = String(viewer.zoom);
  pages.dataset.turn = String(viewer.turn);
  const level = document.getElementById("zoom-level");
  if (level) level.textContent = Math.round(viewer.zoom * 100) + "%" + (viewer.turn ? ` · ${viewer.turn}°` : "");
}

function setView(zoom, turn) {
  // Keep the point at the centre of the column where it was, as far as the new layout allows.
  const pages = document.getElementById("pages");
  if (!pages) return;
  const across = (pages.scrollLeft + pages.clientWidth / 2) / pages.scrollWidth;
  const down = (pages.scrollTop + pages.clientHeight / 2) / pages.scrollHeight;
  viewer.zoom = zoom;
  viewer.turn = ((turn % 360) + 360) % 360;
  layoutPages();
  pages.scrollLeft = across * pages.scrollWidth - pages.clientWidth / 2;
  pages.scrollTop = down * pages.scrollHeight - pages.clientHeight / 2;
}

function zoomBy(steps) {
  const at = ZOOM_STEPS.indexOf(viewer.zoom);
  const next = ZOOM_STEPS[Math.min(ZOOM_STEPS.length - 1, Math.max(0, (at < 0 ? 2 : at) + steps))];
  setView(next, viewer.turn);
}

const VIEW_ACTIONS = {
  "zoom-in": () => zoomBy(1),
  "zoom-out": () => zoomBy(-1),
  "fit": () => setView(1, viewer.turn),
  "rotate-right": () => setView(viewer.zoom, viewer.turn + 90),
  "rotate-left": () => setView(viewer.zoom, viewer.turn - 90),
};

function enablePanning(pages) {
  // Dragging with the mouse pans; a drag is not a click (so it never jumps to a box's item).
  let drag = null;
  let dragged = false;
  pages.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || event.pointerType !== "mouse") return;  // touch pans natively
    drag = {x: event.clientX, y: event.clientY, left: pages.scrollLeft, top: pages.scrollTop, moved: false};
    dragged = false;
  });
  pages.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) return;
    if (!drag.moved) {
      drag.moved = true;
      pages.setPointerCapture(event.pointerId);
      pages.classList.add("panning");
    }
    pages.scrollLeft = drag.left - dx;
    pages.scrollTop = drag.top - dy;
  });
  const end = () => {
    dragged = Boolean(drag && drag.moved);
    drag = null;
    pages.classList.remove("panning");
  };
  pages.addEventListener("pointerup", end);
  pages.addEventListener("pointercancel", end);
  pages.addEventListener("dragstart", (event) => event.preventDefault());
  pages.addEventListener("click", (event) => {
    if (dragged) {
      event.stopPropagation();
      event.preventDefault();
      dragged = false;
    }
  }, true);
}

function showEvidence(key, link) {
  for (const el of document.querySelectorAll(".box.active, .evidence.active")) {
    el.classList.remove("active");
    el.removeAttribute("aria-current");
  }
  const box = document.getElementById("box-" + key);
  if (link) {
    link.classList.add("active");
    link.setAttribute("aria-current", "true");
    announceEvidence(link);
  }
  if (box) {
    box.classList.add("active");
    box.scrollIntoView({block: "center", inline: "center"});
    return;
  }
  const page = link && document.getElementById("page-" + link.dataset.page);
  if (page) page.scrollIntoView({block: "start"});
}

function announceEvidence(link) {
  // The evidence links are out of the Tab order, so say which one `v` (or a click) chose.
  const status = document.getElementById("evidence-status");
  const list = link.closest(".evidence-list");
  if (!status || !list) return;
  const all = Array.from(list.querySelectorAll(".evidence[data-ev]"));
  status.textContent = `Evidence ${all.indexOf(link) + 1} of ${all.length}: ${link.textContent}`;
}

function nextEvidence(item) {
  // `v` shows the focused item's first evidence, and each press after that the next one, in turn.
  const links = Array.from(item.querySelectorAll(".evidence[data-ev]"));
  if (!links.length) return;
  const at = links.findIndex((link) => link.classList.contains("active"));
  const link = links[(at + 1) % links.length];
  showEvidence(link.dataset.ev, link);
}

function clearOfBar() {
  // The determination bar sticks to the bottom of the review panel and its height varies (the
  // summary, a refusal, what is missing): an item that focus or `j`/`k` scrolls into view keeps
  // that much room below it (review.css: scroll-margin), so it is never hidden under the bar. Only
  // items: the bar's own controls scroll as they are.
  const panel = document.getElementById("review");
  const bar = document.getElementById("determination");
  if (panel && bar) panel.style.setProperty("--bar-clearance", bar.offsetHeight + "px");
}

function items() {
  return Array.from(document.querySelectorAll(".review-item, .queue-row"));
}

function currentItem() {
  const active = document.activeElement;
  return active ? active.closest(".review-item, .queue-row") : null;
}

function move(step) {
  const list = items();
  if (!list.length) return;
  const at = list.indexOf(currentItem());
  const next = list[Math.min(list.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
  next.focus();
  next.scrollIntoView({block: "nearest"});
}

function edit(item) {
  const details = item.querySelector("details.edit");
  if (!details) return;
  details.open = true;
  const input = details.querySelector(".edit-input");
  if (input) {
    input.focus();
    if (input.select) input.select();
  }
}

function typing(target) {
  return target.closest("input, textarea, select, [contenteditable]") !== null;
}

// Controls the browser activates with Enter or Space: their own behaviour always wins, so a
// keyboard user can press every button, link and summary (issue 11: Enter was swallowed).
const ACTIVATABLE = "a[href], button, input, select, textarea, summary, label, [contenteditable], " +
  "[role=button], [role=link], [role=menuitem], [role=checkbox], [role=radio], [role=tab]";

function activatesItself(target, key) {
  return (key === "Enter" || key === " ") && target.closest(ACTIVATABLE) !== null;
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape") {
    const item = currentItem();
    if (item) item.focus();
    return;
  }
  if (typing(event.target) || activatesItself(event.target, event.key)) return;
  const item = currentItem();
  switch (event.key) {
    case "j": move(1); break;
    case "k": move(-1); break;
    case "c": {
      const form = item && item.querySelector("form.confirm");
      if (form) form.requestSubmit();
      break;
    }
    case "e": if (item) edit(item); break;
    case "v": if (item) nextEvidence(item); break;
    case "r": {
      const routine = document.querySelector("form.routine");
      if (routine) routine.requestSubmit();
      break;
    }
    case "d": {
      const choice = document.querySelector("form.determination input[name=outcome]");
      if (choice) {
        choice.scrollIntoView({block: "center"});
        choice.focus();
      }
      break;
    }
    case "+": case "=": zoomBy(1); break;
    case "-": zoomBy(-1); break;
    case "0": VIEW_ACTIONS.fit(); break;
    case "]": VIEW_ACTIONS["rotate-right"](); break;
    case "[": VIEW_ACTIONS["rotate-left"](); break;
    case "n": {
      const next = document.getElementById("next-packet");
      if (!next) return;
      window.location.assign(next.getAttribute("href"));
      break;
    }
    case "q": window.location.assign("/review"); break;
    case "Enter":
      // Only a focused queue row itself opens its packet; anything else keeps its Enter.
      if (!item || item !== event.target || !item.dataset.href) return;
      window.location.assign(item.dataset.href);
      break;
    default: return;
  }
  event.preventDefault();
}

// Exceptions first: a packet opens on its first item needing attention (or, with none, on
// "confirm all routine items"); a link to an item or an outcome focuses that instead (the browser
// focuses a focusable fragment target itself, and blurs for one that is not).
function openOn(target) {
  if (target && target.classList.contains("review-item")) {
    target.focus();
    return;
  }
  if (target) return;
  const packet = document.querySelector("#review[data-first-attention]");
  const first = packet && document.getElementById(packet.dataset.firstAttention);
  const start = first || document.querySelector("form.routine button");
  if (start) {
    start.focus();
    start.scrollIntoView({block: "nearest"});
  }
}

// Actions without reloads: a form in the review panel is sent with fetch, and the server answers
// the panel as it is now (X-Review-Fragment), which replaces the old one; the page images stay.
// Any other answer (signed out, CSRF refused, a server error) is left to the browser: the form is
// sent the ordinary way, and the packet version keeps a repeated action from counting twice.
const FRAGMENT_HEADER = "X-Review-Fragment";

function focusAfterSwap(anchor) {
  const target = anchor && document.getElementById(anchor);
  const refused = document.querySelector("#review [role=alert]");
  // After a determination, the link to the next packet in the queue.
  const next = anchor === "determination" && document.getElementById("next-packet");
  const start = next || target || (refused && (refused.closest(".review-item") || refused));
  if (!start) return;
  if (start.tabIndex >= 0 || start.matches("input, button, a[href]")) start.focus({preventScroll: true});
  start.scrollIntoView({block: "nearest"});
}

async function sendInPlace(event) {
  const form = event.target;
  const panel = document.getElementById("review");
  if (!panel || !panel.contains(form) || form.id === "policy" || event.defaultPrevented) return;
  event.preventDefault();
  if (form.dataset.sending) return;  // a second Enter while the first is on its way
  form.dataset.sending = "1";
  let response = null;
  try {
    // form.action would be the hidden input named "action", not the attribute
    response = await fetch(form.getAttribute("action"), {method: "POST", body: new FormData(form),
                                         headers: {[FRAGMENT_HEADER]: "1"}, credentials: "same-origin"});
  } catch (error) {
    response = null;
  }
  if (!response || response.headers.get(FRAGMENT_HEADER) !== "1") {
    HTMLFormElement.prototype.submit.call(form);
    return;
  }
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("review");
  const scrolled = panel.scrollTop;
  panel.replaceWith(fresh);
  fresh.scrollTop = scrolled;
  clearOfBar();
  const anchor = response.headers.get("X-Review-Focus");
  focusAfterSwap(anchor);
  if (anchor) history.replaceState(null, "", "#" + anchor);  // where the redirect would have gone
}

function init() {
  placeBoxes();
  layoutPages();
  const pages = document.getElementById("pages");
  if (pages) {
    enablePanning(pages);
    for (const image of pages.querySelectorAll(".sheet:not([data-page-width]) img")) {
      image.addEventListener("load", layoutPages);  // sized by the image itself once it is in
    }
    window.addEventListener("resize", layoutPages);
  }
  clearOfBar();
  window.addEventListener("resize", clearOfBar);
  document.addEventListener("click", (event) => {
    const tool = event.target.closest("button[data-view]");
    if (tool && VIEW_ACTIONS[tool.dataset.view]) {
      VIEW_ACTIONS[tool.dataset.view]();
      return;
    }
    const link = event.target.closest(".evidence[data-ev]");
    if (link) {
      event.preventDefault();
      showEvidence(link.dataset.ev, link);
      return;
    }
    const box = event.target.closest(".box[data-ev]");
    if (box) {
      const source = document.querySelector('.evidence[data-ev="' + CSS.escape(box.dataset.ev) + '"]');
      if (source) {
        showEvidence(box.dataset.ev, source);
        source.closest(".review-item").focus();
      }
    }
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("submit", sendInPlace);
  openOn(window.location.hash && document.getElementById(window.location.hash.slice(1)));
}

document.addEventListener("DOMContentLoaded", init);
