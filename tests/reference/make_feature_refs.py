#!/usr/bin/python3
"""Makes the reference features for tests/unit/test-feat-ref.c with torchaudio's
re-implementation of Kaldi's feature extraction (torchaudio.compliance.kaldi).

Run from the top of the source tree:  /usr/bin/python3 tests/reference/make_feature_refs.py [--all]
Cases already in features.txt are kept as they are, new ones are added: torch's rounding
differs between machines (CPU features, versions) in the last printed digit, and committed
references should not change with the machine that extended them. Each kept case is still
recomputed and its largest difference printed. --all rewrites every case and transforms.txt.
Needs python3-torchaudio, sox, espeak-ng and pocketsphinx-testdata (real recorded speech).
Writes small WAVs under tests/reference/features/ when one is missing (the committed ones are
the inputs of the committed references, and another sox or espeak-ng would make other
samples), tests/reference/features.txt:
    case NAME WAV TYPE ROWS COLS
    opts --opt=value ...          (options for compute-features, Kaldi names)
    ROWS lines of COLS numbers
and tests/reference/transforms.txt (deltas from torchaudio.functional.compute_deltas, CMVN
from numpy) in the same layout: "input R C", "deltas ORDER WINDOW R C FIRST LAST" (rows
FIRST..LAST are exact: torchaudio pads each delta pass, Kaldi clamps the combined window),
"cmvn NORM_VARS R C", each followed by its rows.
torchaudio has no "sine" window (Kaldi does): it is added below with Kaldi's formula
sin(pi n / (N-1)), everything else in the pipeline is torchaudio's own.
"""
import math
import os
import subprocess
import sys
import wave

import numpy as np
import torch
import torchaudio.compliance.kaldi as K

OUT = "tests/reference/features"
PS = "/usr/share/pocketsphinx/test/data"

_orig_window = K._feature_window_function


def _window(window_type, window_size, blackman_coeff, device, dtype):
    if window_type == "sine":
        n = torch.arange(window_size, dtype=torch.float64)
        return torch.sin(math.pi * n / (window_size - 1)).to(device=device, dtype=dtype)
    return _orig_window(window_type, window_size, blackman_coeff, device, dtype)


K._feature_window_function = _window


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def read_wav(path):
    with wave.open(path) as w:
        n, ch, rate = w.getnframes(), w.getnchannels(), w.getframerate()
        assert w.getsampwidth() == 2
        x = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch).T
    return x.astype(np.float32), rate


def write_wav(path, x, rate):
    x = np.atleast_2d(x)
    with wave.open(path, "wb") as w:
        w.setnchannels(x.shape[0]); w.setsampwidth(2); w.setframerate(rate)
        w.writeframes(np.clip(np.round(x.T), -32768, 32767).astype("<i2").tobytes())


WAVS = ["speech16k.wav", "cards8k.wav", "espeak22k.wav", "stereo8k.wav", "stereo8k-s24.wav",
        "stereo8k-f32.wav"]


def make_wavs():
    if all(os.path.exists(f"{OUT}/{w}") for w in WAVS):
        return
    os.makedirs(OUT, exist_ok=True)
    # Real recorded speech (LibriVox, 16 kHz) and a spoken command (resampled to 8 kHz).
    sh(f"sox -D {PS}/librivox/sense_and_sensibility_01_austen_64kb-0870.wav {OUT}/speech16k.wav trim 0.5 1.0")
    sh(f"sox -D {PS}/cards/002.wav -r 8000 {OUT}/cards8k.wav trim 0.3 0.7")
    # The resampler leaves almost nothing near 4 kHz: add a small noise floor, so that no
    # FFT bin is at the level of float rounding (where any two implementations differ).
    x, rate = read_wav(f"{OUT}/cards8k.wav")
    write_wav(f"{OUT}/cards8k.wav", x + np.random.RandomState(1).randn(*x.shape) * 4, rate)
    # Synthesized speech at 22.05 kHz with a little noise so no frame is digital silence.
    sh(f"espeak-ng -v en -s 170 -w {OUT}/tmp.wav 'meta learning'")
    x, rate = read_wav(f"{OUT}/tmp.wav")
    os.remove(f"{OUT}/tmp.wav")
    x = x[:, 2000:2000 + int(0.6 * rate)] + np.random.RandomState(0).randn(1, int(0.6 * rate)) * 20
    write_wav(f"{OUT}/espeak22k.wav", x, rate)
    # Two channels (left: the 8 kHz command, right: a louder, reversed copy).
    c, _ = read_wav(f"{OUT}/cards8k.wav")
    c = c[:, :3200]
    write_wav(f"{OUT}/stereo8k.wav", np.vstack([c, 0.5 * c[:, ::-1]]), 8000)
    # The same samples in other encodings, as sox writes them (24-bit is WAVE_FORMAT_EXTENSIBLE).
    sh(f"sox -D {OUT}/stereo8k.wav -b 24 -e signed-integer {OUT}/stereo8k-s24.wav")
    sh(f"sox -D {OUT}/stereo8k.wav -b 32 -e floating-point {OUT}/stereo8k-f32.wav")


KALDI_DEFAULTS = dict(
    sample_frequency=16000.0, frame_length=25.0, frame_shift=10.0, dither=0.0,
    preemphasis_coefficient=0.97, remove_dc_offset=True, window_type="povey",
    blackman_coeff=0.42, round_to_power_of_two=True, snip_edges=True, energy_floor=0.0,
    raw_energy=True)
MEL_DEFAULTS = dict(num_mel_bins=23, low_freq=20.0, high_freq=0.0, htk_compat=False)

CASES = [  # name, wav, type, channel, Kaldi options (besides --dither=0)
    ("mfcc_default", "speech16k.wav", "mfcc", 0, {}),
    ("mfcc_nosnip", "speech16k.wav", "mfcc", 0, {"snip-edges": False}),
    ("mfcc_8k_hamming_noenergy", "cards8k.wav", "mfcc", 0,
     {"sample-frequency": 8000, "window-type": "hamming", "use-energy": False, "num-mel-bins": 15}),
    ("mfcc_22k_htk_c0", "espeak22k.wav", "mfcc", 0,
     {"sample-frequency": 22050, "htk-compat": True, "use-energy": False, "window-type": "hanning",
      "low-freq": 64, "high-freq": -400, "cepstral-lifter": 0, "num-ceps": 20, "num-mel-bins": 30}),
    ("mfcc_htk_energy_floor", "speech16k.wav", "mfcc", 0,
     {"htk-compat": True, "raw-energy": False, "energy-floor": 1e9, "preemphasis-coefficient": 0.5,
      "remove-dc-offset": False, "snip-edges": False}),
    ("mfcc_8k_nopow2_rect", "stereo8k.wav", "mfcc", 1,
     {"sample-frequency": 8000, "round-to-power-of-two": False, "window-type": "rectangular",
      "frame-length": 30, "frame-shift": 15, "high-freq": 3800}),
    ("fbank_default", "speech16k.wav", "fbank", 0, {}),
    ("fbank_blackman_energy", "espeak22k.wav", "fbank", 0,
     {"sample-frequency": 22050, "window-type": "blackman", "blackman-coeff": 0.40,
      "num-mel-bins": 40, "use-energy": True, "raw-energy": False, "snip-edges": False}),
    ("fbank_linear_magnitude", "cards8k.wav", "fbank", 0,
     {"sample-frequency": 8000, "use-log-fbank": False, "use-power": False,
      "round-to-power-of-two": False, "frame-length": 20, "num-mel-bins": 20}),
    ("fbank_sine_htk_energy", "speech16k.wav", "fbank", 0,
     {"window-type": "sine", "use-energy": True, "htk-compat": True, "frame-length": 20,
      "frame-shift": 12.5, "preemphasis-coefficient": 0.0, "num-mel-bins": 30, "low-freq": 0}),
    ("spectrogram_8k", "cards8k.wav", "spectrogram", 0,
     {"sample-frequency": 8000, "frame-length": 12, "frame-shift": 20, "snip-edges": False}),
    ("spectrogram_raw_false", "espeak22k.wav", "spectrogram", 0,
     {"sample-frequency": 22050, "frame-length": 5, "frame-shift": 15, "raw-energy": False,
      "energy-floor": 5e5}),
    # VTLN (Kaldi's --vtln-warp, --vtln-low, --vtln-high): warps below and above 1, default
    # cutoffs, a positive --vtln-high and a negative one (an offset from Nyquist).
    ("mfcc_vtln_0.9", "speech16k.wav", "mfcc", 0, {"vtln-warp": 0.9}),
    ("fbank_vtln_1.1", "speech16k.wav", "fbank", 0, {"vtln-warp": 1.1}),
    ("mfcc_8k_vtln_1.1_cutoffs", "cards8k.wav", "mfcc", 0,
     {"sample-frequency": 8000, "num-mel-bins": 15, "vtln-warp": 1.1, "vtln-low": 300,
      "vtln-high": 3000}),
    ("fbank_22k_vtln_0.85_offset", "espeak22k.wav", "fbank", 0,
     {"sample-frequency": 22050, "num-mel-bins": 40, "low-freq": 64, "high-freq": -400,
      "vtln-warp": 0.85, "vtln-low": 150, "vtln-high": -1200}),
]


def compute(name, wav, ftype, channel, opts):
    x, rate = read_wav(f"{OUT}/{wav}")
    kw = dict(KALDI_DEFAULTS)
    if ftype != "spectrogram":
        kw.update(MEL_DEFAULTS)
        kw["use_energy"] = ftype == "mfcc"
    for k, v in opts.items():
        kw[k.replace("-", "_")] = v
    assert kw["sample_frequency"] == rate, name
    fn = {"mfcc": K.mfcc, "fbank": K.fbank, "spectrogram": K.spectrogram}[ftype]
    return fn(torch.from_numpy(x), channel=channel, **kw).numpy()


def fmt_opt(k, v):
    if isinstance(v, bool):
        v = "true" if v else "false"
    return f"--{k}={v}"


def format_case(name, wav, ftype, channel, opts, feats):
    o = dict(opts)
    o["dither"] = 0
    if channel:
        o["channel"] = channel
    lines = [f"case {name} {wav} {ftype} {feats.shape[0]} {feats.shape[1]}",
             "opts " + " ".join(fmt_opt(k, v) for k, v in o.items())]
    lines += [" ".join(f"{v:.7g}" for v in row) for row in feats]
    return "".join(line + "\n" for line in lines)


def read_cases(path):
    """name -> the text of its case in an existing features.txt (header to the next case)."""
    cases, name = {}, None
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.startswith("case "):
                    name = line.split()[1]
                    cases[name] = ""
                cases[name] += line
    return cases


def max_difference(text, feats):
    ref = np.array([[float(v) for v in line.split()] for line in text.splitlines()[2:]])
    if ref.shape != feats.shape:
        return float("inf")
    return float((np.abs(ref - feats) / np.maximum(1, np.abs(ref))).max())  # relative above 1


def main():
    rewrite = "--all" in sys.argv[1:]
    make_wavs()
    path = "tests/reference/features.txt"
    kept = {} if rewrite else read_cases(path)
    out = []
    for name, wav, ftype, channel, opts in CASES:
        feats = compute(name, wav, ftype, channel, opts)
        if name in kept:
            out.append(kept[name])
            print(name, feats.shape, "kept; recomputed, it differs by (relative above 1)",
                  max_difference(kept[name], feats))
        else:
            out.append(format_case(name, wav, ftype, channel, opts, feats))
            print(name, feats.shape)
        if name == "mfcc_default" and (rewrite or not os.path.exists("tests/reference/transforms.txt")):
            write_transforms(feats[:40])
    with open(path, "w") as f:
        f.write("".join(out))


def write_mat(f, header, m):
    f.write(header + "\n")
    for row in m:
        f.write(" ".join(f"{v:.7g}" for v in row) + "\n")


def write_transforms(x):
    import torchaudio.functional as F
    r, c = x.shape
    with open("tests/reference/transforms.txt", "w") as f:
        write_mat(f, f"input {r} {c}", x)
        for order, win in ((1, 2), (2, 2), (2, 3)):
            t = torch.from_numpy(x.T.copy())
            outs, cur = [t], t
            for _ in range(order):
                cur = F.compute_deltas(cur, win_length=2 * win + 1, mode="replicate")
                outs.append(cur)
            d = torch.cat(outs, 0).T.numpy()
            first, last = (0, r - 1) if order == 1 else (2 * win, r - 1 - 2 * win)
            write_mat(f, f"deltas {order} {win} {r} {d.shape[1]} {first} {last}", d)
        x64 = x.astype(np.float64)
        mean, std = x64.mean(0), x64.std(0)
        write_mat(f, f"cmvn 0 {r} {c}", x64 - mean)
        write_mat(f, f"cmvn 1 {r} {c}", (x64 - mean) / std)


if __name__ == "__main__":
    main()
