// Replay: the transcript follows the audio; any ▶ button (a turn, a piece of evidence) seeks to it.
const player = document.getElementById("player");
const turns = [...document.querySelectorAll("#turns .turn")];

function current(t) {
  let cur = null;
  for (const li of turns) {
    if (li.dataset.start === undefined) continue;
    if (t + 0.05 >= parseFloat(li.dataset.start)) cur = li;
  }
  return cur;
}
let shown = null;
function follow() {
  if (!player) return;
  const li = current(player.currentTime);
  if (li === shown) return;
  if (shown) shown.classList.remove("current");
  shown = li;
  if (li) { li.classList.add("current"); li.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
}
if (player) {
  player.addEventListener("timeupdate", follow);
  player.addEventListener("seeked", follow);
}
document.addEventListener("click", (ev) => {
  const b = ev.target.closest("button.seek");
  if (!b) return;
  ev.preventDefault();
  const li = b.dataset.turn !== undefined ? document.getElementById(`turn-${b.dataset.turn}`) : null;
  if (li) { li.classList.add("flash"); li.scrollIntoView({ block: "center" }); setTimeout(() => li.classList.remove("flash"), 1500); }
  if (player && b.dataset.t !== undefined) {
    player.currentTime = parseFloat(b.dataset.t);
    player.play().catch(() => {});
  }
});
