// The review home: cohorts, the monthly sample, every stored call, agreement and the audit trail.
import { api, el, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);
const num = (v) => (v === null || v === undefined ? "–" : Number(v).toFixed(2));

function table(head, rows) {
  return el("table", { class: "list" }, el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: c })))))));
}

async function load() {
  const cohort = $("cohort").value;
  const q = cohort ? `?cohort=${encodeURIComponent(cohort)}` : "";
  try {
    const [samples, sessions, agreement, audit] = await Promise.all([
      api(`/api/review/samples${q}`), api(`/api/review/sessions${q}`), cohort ? api(`/api/review/agreement${q}`) : [], api(`/api/review/audit${q}`)]);
    const byId = Object.fromEntries(sessions.map((s) => [s.session_id, s]));
    $("samples").replaceChildren(...(samples.length ? samples.map((s) => el("div", { class: "panel" },
      el("h3", { text: `Sample ${s.sample}: ${s.reviewed}/${s.n} reviewed` }),
      el("p", { class: "small", text: `cohort ${s.cohort}, seed ${s.seed}, by ${s.created_by} on ${s.created_at.slice(0, 10)}` }),
      table(["Call", "Trainee", "Scenario"], s.sessions.map((sid) => [el("a", { href: `/review/${sid}?sample=${s.sample}`, text: sid.slice(0, 8) }), byId[sid]?.trainee || "", byId[sid]?.scenario || ""])))) : [el("p", { text: "No samples yet." })]));
    $("sessions").replaceChildren(sessions.length ? table(["Call", "Trainee", "Scenario", "When", "Kind", "Result"], sessions.map((s) => [
      el("a", { href: `/review/${s.session_id}`, text: s.session_id.slice(0, 8) }), s.trainee, s.scenario, s.started_at.slice(0, 16).replace("T", " "), s.source, s.passed ? "pass" : "fail"])) : el("p", { text: "No stored calls." }));
    $("agreement").replaceChildren(agreement.length ? table(["Dimension", "Pairs", "Exact", "Within one", "Weighted kappa"], agreement.map((a) => [a.dimension, String(a.n), pct(a.exact), pct(a.within_one), num(a.kappa)])) : el("p", { class: "small", text: cohort ? "No reviews yet." : "Choose a cohort." }));
    $("audit").replaceChildren(audit.length ? table(["When", "Who", "Call", "Dimension", "Old → new", "Reason"], audit.map((o) => [o.at.slice(0, 16).replace("T", " "), o.who, `${o.trainee}, ${o.scenario}`, o.dimension, `${o.old} → ${o.new}`, o.reason])) : el("p", { class: "small", text: "No overrides." }));
  } catch (e) { toast(e.message); }
}

async function init() {
  const { cohorts } = await api("/api/review/cohorts");
  const sel = $("cohort");
  sel.replaceChildren(el("option", { value: "", text: "all cohorts" }), ...cohorts.map((c) => el("option", { value: c, text: c })));
  if (cohorts.length) sel.value = cohorts[cohorts.length - 1];
  sel.addEventListener("change", load);
  load();
}
$("draw").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!$("cohort").value) { toast("Choose the cohort to sample."); return; }
  try {
    const s = await api("/api/review/samples", { method: "POST", body: { cohort: $("cohort").value, n: $("n").value, seed: $("seed").value || null } });
    toast(`Sample ${s.sample}: ${s.n} calls (seed ${s.seed})`);
    load();
  } catch (e) { toast(e.message); }
});
init().catch((e) => toast(e.message));
