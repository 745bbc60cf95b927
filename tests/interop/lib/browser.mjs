// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core,
// with a WAV file as its microphone. Must run inside lib/netns.sh.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');

// Test media is made from text by tests/media/make_media.sh (espeak-ng, sox)
// on first use, so a clone needs nothing beside it.
const mediaDir = process.env.CONVOX_TEST_MEDIA_DIR ?? path.join(tmpdir(), 'convox-test-media');
let mediaMade = false;
export function media(name) {
  if (!mediaMade) {
    execFileSync(path.join(repoRoot, 'tests/media/make_media.sh'), [mediaDir], { stdio: 'inherit' });
    mediaMade = true;
  }
  const file = path.join(mediaDir, name);
  if (!existsSync(file)) throw new Error(`no test media named ${name} (see tests/media/make_media.sh)`);
  return file;
}

function chromiumOptions(wavFile) {
  return {
    executablePath: process.env.CONVOX_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      `--use-file-for-fake-audio-capture=${wavFile}`,
    ],
  };
}

export async function launchChromium(wavFile) {
  return chromium.launch(chromiumOptions(wavFile));
}

// A browser whose process the test can kill outright (SIGKILL), to play a
// participant that crashes: no leave, no close handshakes.
export async function launchKillableChromium(wavFile) {
  const server = await chromium.launchServer(chromiumOptions(wavFile));
  const browser = await chromium.connect(server.wsEndpoint());
  return { browser, kill: () => server.process().kill('SIGKILL') };
}
