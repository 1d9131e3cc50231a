#!/usr/bin/python3
"""Makes the reference features for tests/unit/test-feat-ref.c with torchaudio's
re-implementation of Kaldi's feature extraction (torchaudio.compliance.kaldi).

Run from the top of the source tree:  /usr/bin/python3 tests/reference/make_feature_refs.py
Needs python3-torchaudio, sox, espeak-ng and pocketsphinx-testdata (real recorded speech).
Writes small WAVs under tests/reference/features/, tests/reference/features.txt:
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


def make_wavs():
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


def main():
    make_wavs()
    with open("tests/reference/features.txt", "w") as f:
        for name, wav, ftype, channel, opts in CASES:
            feats = compute(name, wav, ftype, channel, opts)
            o = dict(opts)
            o["dither"] = 0
            if channel:
                o["channel"] = channel
            f.write(f"case {name} {wav} {ftype} {feats.shape[0]} {feats.shape[1]}\n")
            f.write("opts " + " ".join(fmt_opt(k, v) for k, v in o.items()) + "\n")
            for row in feats:
                f.write(" ".join(f"{v:.7g}" for v in row) + "\n")
            print(name, feats.shape)
            if name == "mfcc_default":
                write_transforms(feats[:40])


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
