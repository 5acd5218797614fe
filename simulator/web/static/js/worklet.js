// The microphone's AudioWorklet: the context runs at 16 kHz, so each render quantum is already
// 16 kHz mono; it is cut into 20 ms blocks of 16-bit PCM for the WebSocket, with the block's level.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Int16Array(320);
    this.n = 0;
    this.peak = 0;
    this.muted = false;
    this.port.onmessage = (e) => { if (e.data && "muted" in e.data) this.muted = !!e.data.muted; };
  }
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (!ch) return true;
    for (let i = 0; i < ch.length; i++) {
      const v = this.muted ? 0 : Math.max(-1, Math.min(1, ch[i]));
      this.peak = Math.max(this.peak, Math.abs(v));
      this.block[this.n++] = v < 0 ? v * 0x8000 : v * 0x7fff;
      if (this.n === this.block.length) {
        this.port.postMessage({ pcm: this.block.buffer, peak: this.peak }, [this.block.buffer]);
        this.block = new Int16Array(320);
        this.n = 0;
        this.peak = 0;
      }
    }
    return true;
  }
}
registerProcessor("vasim-capture", Capture);
