// DramaGuard UI helpers: live deadline countdowns and streamed episode uploads. No framework.
"use strict";

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function formatLeft(ms) {
  const sign = ms < 0 ? "-" : "";
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  return sign + h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
}

function tickCountdowns() {
  const now = Date.now();
  document.querySelectorAll("[data-deadline]").forEach((el) => {
    const left = Date.parse(el.dataset.deadline) - now;
    el.textContent = formatLeft(left);
    el.classList.toggle("overdue", left < 0);
    el.classList.toggle("urgent", left >= 0 && left < 30 * 60 * 1000);
  });
}

async function pollUpload(url, out) {
  for (;;) {
    const job = await (await fetch(url, { credentials: "same-origin" })).json();
    out.textContent = job.state + (job.error ? ": " + job.error : "");
    if (job.state === "registered") { location.reload(); return; }
    if (job.state === "failed") return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function wireUploads() {
  document.querySelectorAll("form[data-upload]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const out = form.querySelector(".upload-status");
      const file = form.elements.file.files[0];
      const query = new URLSearchParams({ number: form.elements.number.value, filename: file.name });
      out.textContent = "…";
      const response = await fetch(form.dataset.upload + "?" + query, {
        method: "POST", body: file, credentials: "same-origin",
        headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": csrfToken() },
      });
      const body = await response.json();
      if (!response.ok) { out.textContent = body.detail; return; }
      pollUpload(response.headers.get("Location"), out);
    });
  });
}

function wireBulk() {
  // one confirmation for the whole batch, naming how many cases it decides
  document.querySelectorAll("form.bulk").forEach((form) => {
    const all = form.querySelector(".select-all");
    if (all) all.addEventListener("change", () => {
      form.querySelectorAll('input[name="case_id"]').forEach((box) => { box.checked = all.checked; });
    });
    form.addEventListener("submit", (event) => {
      const decision = event.submitter ? event.submitter.value : "";
      const n = form.querySelectorAll('input[name="case_id"]:checked').length;
      if (!n) { event.preventDefault(); alert(form.dataset.noneSelected || "0"); return; }
      const text = (decision === "approve" ? form.dataset.confirmApprove : form.dataset.confirmReject) || "";
      if (!confirm(text.replace("{n}", n))) event.preventDefault();
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => { if (!confirm(form.dataset.confirm)) event.preventDefault(); });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wireBulk();
  tickCountdowns();
  setInterval(tickCountdowns, 1000);
  wireUploads();
});
