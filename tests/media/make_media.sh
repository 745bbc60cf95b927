#!/usr/bin/env bash
# Makes the test media (the WAV prompts and tones the browser and agent tests
# play as microphones) from text, so the repository needs nothing beside it.
# The same espeak-ng and sox give the same files every time.
# Usage: tests/media/make_media.sh OUTDIR
# Format: WAV, 48000 Hz, mono, signed 16-bit PCM; speech has 0.3 s of silence
# before and 0.8 s after it.
set -euo pipefail
out="${1:?usage: make_media.sh OUTDIR}"
mkdir -p "$out"
stamp="$out/.made-by"
recipe="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$recipe" ] && exit 0

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
format=(-r 48000 -c 1 -b 16 -e signed-integer)

speech() {  # speech NAME TEXT
  espeak-ng -v en-us -s 150 -w "$work/$1.raw.wav" "$2"
  sox -D "$work/$1.raw.wav" "${format[@]}" "$work/$1.wav" pad 0.3 0.8
  mv "$work/$1.wav" "$out/$1.wav"
}
tone() {  # tone NAME HZ SECONDS
  sox -D -n "${format[@]}" "$work/$1.wav" synth "$3" sine "$2" vol 0.5
  mv "$work/$1.wav" "$out/$1.wav"
}

speech hello "Hello there."
speech book_appointment "I would like to book an appointment for tomorrow at three p m."
speech opening_hours "What are your opening hours?"
speech speak_to_human "Can I speak to a human agent please?"
speech goodbye "Thank you, goodbye."
speech interrupt_stop "Wait, stop, stop."
tone tone_440hz_3s 440 3
tone tone_1000hz_3s 1000 3
sox -D -n "${format[@]}" "$work/silence_2s.wav" trim 0 2
mv "$work/silence_2s.wav" "$out/silence_2s.wav"
echo "$recipe" >"$stamp"
