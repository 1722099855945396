// The deposit's checkout: send the form on to the provider's page at once. Without JavaScript
// the patient presses the button themselves; either way the form is sent once.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-checkout]");
  if (!form) return;
  form.addEventListener("submit", () => {
    form.querySelector("button").disabled = true;
  });
  form.requestSubmit();
});
