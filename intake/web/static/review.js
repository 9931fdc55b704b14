// Reviewer UI behaviour: evidence boxes, highlight on click, keyboard shortcuts, actions without
// reloads. Packet text is only ever read or written through textContent / attributes, never
// innerHTML; the one HTML this script inserts is the server's own autoescaped review panel,
// parsed with DOMParser (and the page's CSP runs no script that could hide in it).
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

function showEvidence(key, link) {
  for (const el of document.querySelectorAll(".box.active, .evidence.active")) {
    el.classList.remove("active");
  }
  const box = document.getElementById("box-" + key);
  if (link) link.classList.add("active");
  if (box) {
    box.classList.add("active");
    box.scrollIntoView({block: "center", inline: "nearest"});
    return;
  }
  const page = link && document.getElementById("page-" + link.dataset.page);
  if (page) page.scrollIntoView({block: "start"});
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
    case "v": {
      const link = item && item.querySelector(".evidence");
      if (link) showEvidence(link.dataset.ev, link);
      break;
    }
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
  const start = target || (refused && (refused.closest(".review-item") || refused));
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
  const anchor = response.headers.get("X-Review-Focus");
  focusAfterSwap(anchor);
  if (anchor) history.replaceState(null, "", "#" + anchor);  // where the redirect would have gone
}

function init() {
  placeBoxes();
  document.addEventListener("click", (event) => {
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
