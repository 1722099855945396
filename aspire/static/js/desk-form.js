// The desk's booking form: a returning patient's name fills in from their phone number; a
// family's phone offers each of its people's names to pick from (a datalist on the name).
// Without JavaScript the form still works: a blank name is filled in by the server, or the
// form says whose names the number books for.
document.addEventListener("DOMContentLoaded", () => {
  const phone = document.querySelector("input[data-patient-lookup]");
  const name = document.getElementById("id_name");
  if (!phone || !name) return;
  phone.addEventListener("change", async () => {
    if (name.value.trim() || !phone.value.trim()) return;
    const url = new URL("/admin/bookings/desk/patient-lookup/", window.location.origin);
    url.searchParams.set("phone", phone.value);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const data = await response.json();
    if (data.name && !name.value.trim()) name.value = data.name;
    let list = document.getElementById("household-names");
    if (!list) {
      list = document.createElement("datalist");
      list.id = "household-names";
      name.after(list);
      name.setAttribute("list", list.id);
    }
    list.replaceChildren(...(data.names || []).map((known) => new Option(known)));
  });
});

// The admin's search box for a time (select2) names its box by the chosen time: an empty one has no
// name for a screen reader (axe: aria-input-field-name). Name it by its label once select2 has drawn
// it (autocomplete.js does on jQuery's ready, in a handler queued before this one); select2 keeps the
// attribute when it redraws the choice.
if (window.django && window.django.jQuery) {
  window.django.jQuery(() => {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const label = document.querySelector(`label[for="${select.id}"]`);
      const box = document.getElementById(`select2-${select.id}-container`);
      if (label && box) box.setAttribute("aria-label", label.textContent.replace(/:\s*$/, "").trim());
    });
  });
}
