// The audio side of a spoken call, shared by practice and assessments: the microphone through an
// AudioWorklet at 16 kHz, 16-bit PCM over the WebSocket; the caller's lines played as they come.
import { csrf } from "./common.js";

export function micMessage(err) {
  const name = err && err.name;
  if (name === "NotAllowedError" || name === "SecurityError")
    return "The microphone is blocked for this page. Allow it (the icon at the left of the address bar), then start the call again; or type instead.";
  if (name === "NotFoundError" || name === "OverconstrainedError")
    return "No microphone was found. Plug one in (or a headset) and start again; or type instead.";
  if (name === "NotReadableError" || name === "AbortError")
    return "The microphone is in use by another program or could not be opened. Close the other program and start again.";
  return `The microphone could not be started (${name || err}).`;
}

export async function precheck() {
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
    return "The browser allows the microphone only on http://127.0.0.1 or http://localhost (or https). Open the address vasim serve printed, or type instead.";
  try {
    const p = await navigator.permissions.query({ name: "microphone" });
    if (p.state === "denied") return micMessage({ name: "NotAllowedError" });
  } catch (e) { /* not every browser can tell */ }
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (!devices.some((d) => d.kind === "audioinput")) return micMessage({ name: "NotFoundError" });
  } catch (e) { /* ask anyway */ }
  return null;
}

export class VoiceLink {
  // on.message(msg) for every JSON message, on.warn(text), on.closed(wasEnded), on.level(peak)
  constructor(path, start, on) {
    this.path = path; this.start = start; this.on = on;
    this.ws = null; this.stream = null; this.node = null; this.playing = null;
    this.ended = false; this.muted = false; this.sentS = 0; this.loudest = 0; this.silentWarned = false;
    // made in the click that starts the call, so the browser lets them play
    this.capture = new AudioContext({ sampleRate: 16000 });
    this.playback = new AudioContext();
  }

  async open() {
    const problem = await precheck();
    if (problem) return problem;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.ws = new WebSocket(`${proto}//${location.host}${this.path}?csrf=${encodeURIComponent(csrf)}`);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => this.ws.send(JSON.stringify(this.start));
    this.ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") { this.play(ev.data); return; }
      const msg = JSON.parse(ev.data);
      if (msg.type === "ready") this.startMic();
      else if (msg.type === "stop") this.stopPlayback();
      else if (msg.type === "ended") this.ended = true;
      this.on.message(msg);
      if (msg.type === "ended" && !msg.more) { this.stopMic(); this.ws.close(); }
    };
    this.ws.onclose = () => { this.stopMic(); this.on.closed(this.ended); };
    return null;
  }

  play(buf) {
    const rate = new DataView(buf).getUint32(0, true);
    const pcm = new Int16Array(buf, 4);
    const audio = this.playback.createBuffer(1, pcm.length, rate);
    const ch = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
    this.stopPlayback();
    const src = this.playback.createBufferSource();
    src.buffer = audio;
    src.connect(this.playback.destination);
    src.start();
    this.playing = src;
  }

  stopPlayback() {
    if (this.playing) { try { this.playing.stop(); } catch (e) { /* already stopped */ } this.playing = null; }
  }

  async startMic() {
    if (this.stream) return; // already listening (the next call of an assessment)
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (err) {
      this.on.warn(micMessage(err));
      this.hangUp();
      return;
    }
    this.stream.getAudioTracks()[0].addEventListener("ended", () => {
      this.on.warn("The microphone was disconnected. The call so far is saved.");
      this.hangUp();
    });
    await this.capture.audioWorklet.addModule("/static/js/worklet.js");
    const src = this.capture.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.capture, "vasim-capture");
    const mute = this.capture.createGain();
    mute.gain.value = 0;
    src.connect(this.node).connect(mute).connect(this.capture.destination);
    this.node.port.onmessage = ({ data }) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(data.pcm);
      this.sentS += 0.02;
      this.loudest = Math.max(this.loudest, this.muted ? 1 : data.peak);
      this.on.level && this.on.level(data.peak);
      if (!this.silentWarned && this.sentS > 6 && this.loudest < 0.003) {
        this.silentWarned = true;
        this.on.warn("We can't hear anything from your microphone. Check that it is not muted (in the system settings or on the headset) and that the right one is chosen in the browser.");
      }
    };
    await this.capture.resume();
  }

  setMuted(m) { this.muted = m; if (this.node) this.node.port.postMessage({ muted: m }); }

  send(obj) { if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj)); }

  hangUp() { this.send({ type: "hangup" }); }

  stopMic() {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    if (this.node) this.node.port.onmessage = null;
  }
}
