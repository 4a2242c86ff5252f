// Keyboard shortcuts of the review page: m, n and s press the button that shows the key.
// Without this script the buttons still work (a plain form post).
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const button = document.querySelector(`#review-form button[data-key="${event.key.toLowerCase()}"]`);
  if (!button || button.disabled || button.closest("fieldset:disabled")) return;
  event.preventDefault();
  button.click();
});
