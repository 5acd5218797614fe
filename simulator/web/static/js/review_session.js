// The five-score review form and the override (reason required) of one stored call.
import { api, toast } from "./common.js";

const box = document.getElementById("review");
const sid = box.dataset.session, sample = box.dataset.sample;
const DIMS = ["greeting", "empathy", "accuracy", "escalation", "closing"];
const reviewer = localStorage.getItem("vasim.reviewer") || "";
for (const f of document.querySelectorAll('input[name="reviewer"], input[name="by"]')) f.value = reviewer;

document.getElementById("score").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const scores = {}, notes = {};
  for (const d of DIMS) { scores[d] = f.elements[d].value; if (f.elements[`${d}-note`].value.trim()) notes[d] = f.elements[`${d}-note`].value.trim(); }
  if (f.elements.notes.value.trim()) notes[""] = f.elements.notes.value.trim();
  const who = f.elements.reviewer.value.trim();
  if (who) localStorage.setItem("vasim.reviewer", who);
  try {
    await api(`/api/review/sessions/${sid}/score`, { method: "POST", body: { scores, notes, reviewer: who || null, sample: sample || null } });
    toast("Review saved.");
    setTimeout(() => location.reload(), 800);
  } catch (e) { toast(e.message); }
});

document.getElementById("override").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  if (!f.elements.reason.value.trim()) { toast("An override needs a reason."); return; }
  try {
    const o = await api(`/api/review/sessions/${sid}/override`, { method: "POST", body: {
      dimension: f.elements.dimension.value, score: f.elements.score.value, reason: f.elements.reason.value, by: f.elements.by.value.trim() || null } });
    toast(`${o.dimension}: ${o.old} → ${o.new}`);
    setTimeout(() => location.reload(), 800);
  } catch (e) { toast(e.message); }
});
