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

function episodeNumbers(files, first) {
  // numbers from the names (第3集, EP03, 03.mp4) when every file has a distinct one, else counting up
  const found = files.map((f) => {
    const m = f.name.match(/第\s*(\d+)\s*集/) || f.name.match(/(?:ep|episode|e)[\s_.-]*(\d+)/i) || f.name.match(/(\d+)(?!.*\d)/);
    return m ? parseInt(m[1], 10) : null;
  });
  const distinct = new Set(found.filter((n) => n !== null && n > 0));
  return distinct.size === files.length ? found : files.map((_, i) => first + i);
}

function send(url, file, onProgress) {
  // XMLHttpRequest, not fetch: only it reports upload progress
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = { detail: xhr.statusText }; }
      resolve({ status: xhr.status, body, location: xhr.getResponseHeader("Location") });
    };
    xhr.onerror = () => resolve({ status: 0, body: { detail: "network error" } });
    xhr.send(file);
  });
}

async function pollJob(url, show) {
  for (;;) {
    const job = await (await fetch(url, { credentials: "same-origin" })).json();
    show(job.state, job.error);
    if (job.state === "registered" || job.state === "failed") return job.state;
    await new Promise((r) => setTimeout(r, 700));
  }
}

function wireUploads() {
  document.querySelectorAll("form[data-upload]").forEach((form) => {
    const labels = JSON.parse(form.dataset.labels || "{}");
    const word = (k) => labels[k] || k;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const files = [...form.elements.file.files].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
      const numbers = episodeNumbers(files, parseInt(form.elements.number.value, 10) || 1);
      const body = form.querySelector("table.upload-files tbody");
      const total = form.querySelector(".series-total");
      body.textContent = "";
      const rows = files.map((file, i) => {
        const tr = document.createElement("tr");
        tr.className = "upload-file";
        tr.innerHTML = "<td class='n'></td><td class='name'></td><td><progress max='100' value='0'></progress> <span class='pct'>0%</span></td><td class='st'></td>";
        tr.querySelector(".n").textContent = numbers[i];
        tr.querySelector(".name").textContent = file.name;
        tr.querySelector(".st").textContent = word("waiting");
        body.appendChild(tr);
        return tr;
      });
      let done = 0;
      const showTotal = () => { total.textContent = form.dataset.total.replace("{done}", done).replace("{total}", files.length); };
      showTotal();
      const jobs = [];
      for (let i = 0; i < files.length; i++) {
        const tr = rows[i];
        const state = (s, err) => { tr.dataset.state = s; tr.querySelector(".st").textContent = word(s) + (err ? ": " + err : ""); };
        const progress = (p) => { tr.querySelector("progress").value = Math.round(p * 100); tr.querySelector(".pct").textContent = Math.round(p * 100) + "%"; };
        const query = new URLSearchParams({ number: numbers[i], filename: files[i].name });
        let answer;
        for (;;) {
          state("sending");
          answer = await send(form.dataset.upload + "?" + query, files[i], progress);
          if (answer.status !== 503) break;  // the fingerprinting queue is full: wait, then again
          state("busy");
          await new Promise((r) => setTimeout(r, 3000));
        }
        if (answer.status !== 202) { state("failed", answer.body.detail); continue; }
        progress(1);
        jobs.push(pollJob(answer.location, state).then((s) => { if (s === "registered") { done++; showTotal(); } }));
      }
      await Promise.all(jobs);
      if (done) setTimeout(() => location.reload(), 800);
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
