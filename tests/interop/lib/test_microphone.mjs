// A test-driven microphone for pages in headless Chromium, installed with
// context.addInitScript: getUserMedia is answered with a WebAudio stream
// that is silent until the test plays a WAV into it
// (window.__testMicrophone.play), so the test decides when the caller
// speaks. Chromium's own file capture loops its file with no control over
// timing.
export function installTestMicrophone() {
  const context = new AudioContext({ sampleRate: 48000 });
  const destination = context.createMediaStreamDestination();
  // A near-silent constant keeps the track producing frames, as a real mic does.
  const hum = context.createConstantSource();
  hum.offset.value = 0.0001;
  hum.connect(destination);
  hum.start();
  window.__testMicrophone = {
    async play(base64) {
      await context.resume();
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const buffer = await context.decodeAudioData(bytes.buffer);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(destination);
      const ended = new Promise((resolve) => (source.onended = resolve));
      source.start();
      await ended;
      return Date.now();
    },
  };
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    if (!constraints?.audio || constraints.video) return original(constraints);
    await context.resume();
    return new MediaStream([destination.stream.getAudioTracks()[0].clone()]);
  };
}
