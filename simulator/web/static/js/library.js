const q = document.getElementById("q"), diff = document.getElementById("difficulty"), esc = document.getElementById("escalation");
function filter() {
  const words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const card of document.querySelectorAll("#scenarios .scenario")) {
    const ok = words.every((w) => card.dataset.text.includes(w))
      && (!diff.value || card.dataset.difficulty === diff.value)
      && (!esc.value || card.dataset.escalation === esc.value);
    card.hidden = !ok;
  }
}
for (const c of [q, diff, esc]) c.addEventListener("input", filter);
