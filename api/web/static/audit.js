// The audit pages without a build step: progressive enhancement only (both forms work without it).
// A file dropped on a drop zone is put in its file input and the form is sent; the audit pack form is
// sent in the background, with a "building" status, and its zip saved as a download.
"use strict";

document.querySelectorAll("[data-drop-zone]").forEach((zone) => {
  const input = zone.querySelector('input[type="file"]');
  const form = zone.closest("form");
  zone.classList.add("drop-ready");
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("drop-over");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("drop-over"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    if (!event.dataTransfer || event.dataTransfer.files.length === 0) return;
    input.files = event.dataTransfer.files;
    form.requestSubmit();
  });
});

document.querySelectorAll("form[data-pack-form]").forEach((form) => {
  const status = form.querySelector("[data-pack-status]");
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Building the audit pack… the download starts when it is ready.";
    let response = null;
    try {
      response = await fetch(form.action, { method: "POST", body: new FormData(form) });
    } catch (error) {
      response = null;
    }
    if (!response || !response.ok) {
      form.submit(); // the page with the error, as without JavaScript
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [])[1] || "audit-pack.zip";
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = `Downloaded ${name}. Manifest hash ${response.headers.get("X-Manifest-Hash")}.`;
    button.disabled = false;
  });
});
