// Progressive help only: every page works without this file.
"use strict";

// A session form's preview follows what is typed (the Preview button does the same without script).
function livePreview() {
  const form = document.getElementById("session-form");
  if (!form || !form.dataset.preview) return;
  let timer = null;
  const refresh = () => {
    const data = new FormData(form);
    data.set("action", "preview");
    fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : null))
      .then((html) => {
        if (!html) return;
        const target = document.getElementById("preview");
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("preview");
        if (target && fresh) target.replaceWith(fresh);
      })
      .catch(() => {});
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
}

// An announcement's numbers update while it goes out.
function liveProgress() {
  const box = document.getElementById("progress");
  if (!box || !box.dataset.url) return;
  const tick = () => {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((data) => {
        if (!data) return;
        box.querySelectorAll("[data-k]").forEach((el) => {
          const value = el.dataset.k.split(".").reduce((o, k) => (o == null ? o : o[k]), data);
          if (value !== undefined && value !== null) el.textContent = String(value);
        });
        const a = data.announcement;
        const bar = box.querySelector("[data-progress]");
        if (bar) {
          bar.max = 10; // tenths: a small total's exact steps would give its count away
          bar.value = a.tenths;
        }
      })
      .catch(() => {});
  };
  setInterval(tick, 1500);
}

// A link shown once: a button copies it (without script, the field can be selected and copied by hand).
function copyButtons() {
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const field = document.getElementById(button.dataset.copy);
      if (!field) return;
      field.select();
      const done = () => {
        button.textContent = button.dataset.done || button.textContent;
      };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => {});
      else if (document.execCommand("copy")) done();
    });
  });
}

// A copy button that needs this script is hidden in the page and shown here (the share link works without).
function showCopyButtons() {
  document.querySelectorAll("button[data-copy][hidden]").forEach((button) => {
    button.hidden = false;
  });
}

// The simulator: the cursor stays in the message field after each message, for the next one. After the
// page's load, as going to #last moves the focus to the document first.
function keepComposerFocus() {
  const field = document.querySelector(".composer input[name=text]");
  if (field) window.addEventListener("load", () => requestAnimationFrame(() => field.focus()));
}

// The poster's print button (without script: the browser's own Print).
function printButtons() {
  document.querySelectorAll("button[data-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
}

document.addEventListener("DOMContentLoaded", () => {
  livePreview();
  liveProgress();
  copyButtons();
  showCopyButtons();
  keepComposerFocus();
  printButtons();
});
