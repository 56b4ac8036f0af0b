// The receipt's Print button: a tablet has no Ctrl+P, so the page offers the browser's print dialog.
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
