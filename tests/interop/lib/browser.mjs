// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core,
// with a WAV file as its microphone. Must run inside lib/netns.sh.
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const sharedDir = process.env.CONVOX_SHARED_DIR ?? path.resolve(repoRoot, '../shared');
export const media = (name) => path.join(sharedDir, 'media', name);

export async function launchChromium(wavFile) {
  return chromium.launch({
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
  });
}
