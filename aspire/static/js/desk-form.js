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
