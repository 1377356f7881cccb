#!/usr/bin/env python3
"""Regenerates src/Baton.Cli/Data/speech-digits.zip, the built-in `speech` data of `baton classify`.

Spoken digits 0-9 in English (zero ... nine) and Mandarin (零 一 二 ... 九), synthesised with Debian's espeak-ng
(apt-get install espeak-ng sox) over every voice variant espeak-ng ships, each utterance with a base voice, speed and
pitch drawn from a seeded generator. Each file is trimmed of leading and trailing silence, peak-normalised to -1 dBFS
and stored (without dither, so a rerun gives the same bytes) as 8 kHz, 8-bit
unsigned PCM WAV (sox), inside a zip archive:

    train/<digit>/<lang>-<variant>-<base>-s<speed>-p<pitch>.wav
    test/<digit>/...            (the held-out variants: no test voice is heard in training)

Noise is added when Baton loads the data (seeded), so the archive stays small. Run from the repository root:

    python3 tools/speech/generate.py [--seed 21] [--test-share 0.2]
"""
import argparse
import io
import os
import random
import subprocess
import tempfile
import zipfile

ENGLISH = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
MANDARIN = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
ENGLISH_BASES = ["en-gb", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
MANDARIN_BASES = ["cmn"]


def variants():
    out = subprocess.run(["espeak-ng", "--voices=variant"], check=True, capture_output=True, text=True).stdout
    names = []
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5 and fields[4].startswith("!v/"):
            names.append(fields[4][3:])
    return sorted(set(names), key=str.lower)


def synthesise(text, voice, speed, pitch, workdir):
    raw = os.path.join(workdir, "raw.wav")
    small = os.path.join(workdir, "small.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", raw, text], check=True)
    # -D: no dither (the output is reproducible); gain -n -1: peak at -1 dBFS before the 8-bit rounding.
    subprocess.run(["sox", "-V1", raw, "-D", "-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned-integer", small,
                    "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse", "gain", "-n", "-1"], check=True)
    with open(small, "rb") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--test-share", type=float, default=0.2, help="share of the voice variants held out for testing")
    parser.add_argument("--out", default="src/Baton.Cli/Data/speech-digits.zip")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = variants()
    shuffled = names[:]
    rng.shuffle(shuffled)
    held_out = set(shuffled[: max(1, round(len(names) * args.test_share))])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    buffer = io.BytesIO()
    count = {"train": 0, "test": 0}
    with tempfile.TemporaryDirectory() as workdir, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for variant in names:
            split = "test" if variant in held_out else "train"
            for lang, words, bases in (("en", ENGLISH, ENGLISH_BASES), ("zh", MANDARIN, MANDARIN_BASES)):
                for digit, word in enumerate(words):
                    base = rng.choice(bases)
                    speed = rng.randrange(120, 221, 10)
                    pitch = rng.randrange(25, 76, 5)
                    wav = synthesise(word, f"{base}+{variant}", speed, pitch, workdir)
                    name = f"{split}/{digit}/{lang}-{variant}-{base}-s{speed}-p{pitch}.wav"
                    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, wav)
                    count[split] += 1
    with open(args.out, "wb") as f:
        f.write(buffer.getvalue())
    print(f"{args.out}: {count['train']} training and {count['test']} test utterances, "
          f"{len(names) - len(held_out)} training and {len(held_out)} held-out voice variants, {len(buffer.getvalue())} bytes")
    print("held out: " + " ".join(sorted(held_out, key=str.lower)))


if __name__ == "__main__":
    main()
