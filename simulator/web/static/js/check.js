// Scenario check: upload or paste -> every problem as FILE:LINE:COL with its line highlighted,
// and the conversation of a valid file.
import { api, el, label, toast } from "./common.js";

const $ = (id) => document.getElementById(id);
$("file").addEventListener("change", async () => {
  const f = $("file").files[0];
  if (!f) return;
  $("name").value = f.name;
  if (f.size > 1024 * 1024) { toast("That file is over 1 MB: a scenario is a few KB."); return; }
  $("yaml").value = await f.text();
});

function focusLine(n) {
  for (const s of document.querySelectorAll("#source span.focus")) s.classList.remove("focus");
  const line = document.querySelector(`#source span[data-n="${n}"]`);
  if (line) { line.classList.add("focus"); line.scrollIntoView({ block: "center" }); }
}

function preview(o) {
  const box = $("preview");
  if (!o) { box.replaceChildren(); return; }
  box.replaceChildren(el("h2", { text: `Preview: ${o.title}` }), el("p", { class: "small", text: `${label(o.touchpoint)} · ${o.difficulty} · escalation: ${label(o.escalation)} · caller ${o.caller.name}` }),
    el("p", { text: o.summary }),
    ...(o.greeting_exemplar ? [el("p", { class: "ideal", text: `VA (ideal): ${o.greeting_exemplar}` })] : []),
    ...o.states.map((s) => el("div", { class: "state" },
      el("h3", { text: s.name + (s.goal ? " [goal]" : "") + (s.end ? " [end]" : "") }),
      ...s.lines.map((l) => el("p", { class: "line", text: `Caller: ${l}` })),
      ...(s.exemplar ? [el("p", { class: "line ideal", text: `VA (ideal): ${s.exemplar}` })] : []),
      ...s.next.map((n) => el("p", { class: "next", text: `${n.when} → ${n.goto}${n.mood ? ` (mood ${n.mood > 0 ? "+" : ""}${n.mood})` : ""}` })))));
}

$("check").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = $("file").files[0];
  let res;
  try {
    if (file && !$("yaml").value) {
      const form = new FormData();
      form.append("file", file, $("name").value || file.name);
      res = await api("/api/check", { method: "POST", form });
    } else {
      res = await api("/api/check", { method: "POST", body: { name: $("name").value || "scenario.yaml", text: $("yaml").value } });
    }
  } catch (e) { toast(e.message); return; }
  $("result").hidden = false;
  $("verdict").textContent = res.ok ? `${res.name}: valid` : `${res.name}: ${res.problems.length} problem${res.problems.length === 1 ? "" : "s"}`;
  $("verdict").className = res.ok ? "ok" : "bad";
  const bad = new Set(res.problems.map((p) => p.line));
  $("problems").replaceChildren(...res.problems.map((p) => {
    const li = el("li", { text: p.text, "data-line": p.line });
    li.addEventListener("click", () => focusLine(p.line));
    return li;
  }));
  $("source").replaceChildren(...res.lines.map((l, i) => el("span", { class: bad.has(i + 1) ? "bad" : "", "data-n": i + 1, text: l || " " })));
  $("source").hidden = !res.lines.length || res.ok;
  preview(res.outline);
  if (res.problems.length) focusLine(res.problems[0].line);
});
