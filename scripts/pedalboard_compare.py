#!/usr/bin/env python3
"""Times mixgraph against Spotify's pedalboard on roughly equivalent chains.

Usage (from anywhere in a clone):  python3 scripts/pedalboard_compare.py

- Generates 30 s of seeded stereo test audio at 48 kHz (pink-ish noise plus a
  few sines) into a temporary WAV.
- `mastering`: mixgraph renders presets/bench/mastering_chain.json; pedalboard
  runs LowShelf/Peak/HighShelf → Compressor → 4-band "multiband" (Lowpass/
  Highpass splits at 120/1000/6000 Hz, a Compressor per band, summed by Mix)
  → Distortion (tanh, 3 dB drive) → Limiter (−1 dB).
- `mix8`: the same WAV on all 8 inputs of presets/bench/mix8.json; pedalboard
  runs 8 stems (HighpassFilter + PeakFilter → Compressor → de-esser
  approximation (split at 6 kHz, compressed top) or NoiseGate), sums them in
  numpy, then a bus Compressor and the mastering chain.

Caveats, printed with the results: the pedalboard chains are approximations
(its filters are 12 dB/oct biquads, not Linkwitz-Riley crossovers; Distortion
is not oversampled; Limiter has no true-peak detection or lookahead; there is
no de-esser), so the work done is comparable, not identical. pedalboard is
timed in-process on numpy blocks of 512 frames with reset=False; mixgraph's
comparable figure is the time inside its graph executor, which `mixgraph
render` reports on its `graph` line. The whole render process (start-up, WAV
decode, output metering, 24-bit WAV encode) is printed beside it.

The script creates target/pedalboard-venv and installs pedalboard and numpy
there when they are missing (network access to PyPI needed once). It is not
run in CI and exits 0 with a message when something it needs is unavailable.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "pedalboard-venv"
SR = 48_000
SECONDS = 30.0
BLOCK = 512
SEED = 20_241_122


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_deps() -> None:
    """Re-executes the script inside target/pedalboard-venv when needed."""
    try:
        import numpy  # noqa: F401
        import pedalboard  # noqa: F401

        return
    except ImportError:
        pass
    if os.environ.get("PEDALBOARD_COMPARE_IN_VENV"):
        print("pedalboard_compare: pedalboard/numpy still missing inside the venv; skipping")
        sys.exit(0)
    py = venv_python()
    if not py.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(py), "-c", "import numpy, pedalboard"], capture_output=True)
    if probe.returncode != 0:
        print("installing pedalboard and numpy into the venv ...", flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "--quiet", "pedalboard", "numpy"], check=True)
    env = dict(os.environ, PEDALBOARD_COMPARE_IN_VENV="1")
    sys.exit(subprocess.run([str(py), str(Path(__file__).resolve()), *sys.argv[1:]], env=env).returncode)


def pin_one_core() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {0})
        except OSError as e:
            print(f"note: could not pin to core 0 ({e})")


def make_audio(np):
    rng = np.random.default_rng(SEED)
    n = int(SR * SECONDS)
    t = np.arange(n) / SR
    white = rng.standard_normal((2, n))
    # Pink noise: white noise shaped by 1/sqrt(f) in the frequency domain.
    spectrum = np.fft.rfft(white, axis=1)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spectrum *= 1 / np.sqrt(np.maximum(freqs, 20.0))
    pink = np.fft.irfft(spectrum, n, axis=1)
    pink /= np.std(pink)
    noise = 0.08 * white + 0.6 * pink
    tones = sum(amp * np.sin(2 * np.pi * f * t + ph) for f, amp, ph in [(55, 0.25, 0), (220, 0.12, 1), (3150, 0.05, 2)])
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t) ** 2  # level changes for the dynamics
    audio = (noise + tones[None, :]) * envelope[None, :]
    audio *= 0.5 / np.max(np.abs(audio))
    return audio.astype(np.float32)


def write_wav(path: Path, audio, np) -> None:
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").T.copy()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def mastering_board(pb):
    def band(*filters):
        return pb.Chain([*filters, pb.Compressor(threshold_db=-20, ratio=2, attack_ms=10, release_ms=100)])

    multiband = pb.Mix(
        [
            band(pb.LowpassFilter(120)),
            band(pb.HighpassFilter(120), pb.LowpassFilter(1000)),
            band(pb.HighpassFilter(1000), pb.LowpassFilter(6000)),
            band(pb.HighpassFilter(6000)),
        ]
    )
    return pb.Pedalboard(
        [
            pb.LowShelfFilter(cutoff_frequency_hz=80, gain_db=1.0, q=0.7071),
            pb.PeakFilter(cutoff_frequency_hz=300, gain_db=-1.5, q=1.0),
            pb.HighShelfFilter(cutoff_frequency_hz=10_000, gain_db=2.0, q=0.7071),
            pb.Compressor(threshold_db=-18, ratio=2, attack_ms=10, release_ms=100),
            multiband,
            pb.Distortion(drive_db=3),
            pb.Limiter(threshold_db=-1.0, release_ms=100),
        ]
    )


def stem_board(pb, i: int):
    if i <= 4:  # de-esser approximation: compress only the band above 6 kHz
        fx = pb.Mix(
            [
                pb.LowpassFilter(6000),
                pb.Chain([pb.HighpassFilter(6000), pb.Compressor(threshold_db=-30, ratio=4, attack_ms=1, release_ms=50)]),
            ]
        )
    else:
        fx = pb.NoiseGate(threshold_db=-40, ratio=10, attack_ms=1, release_ms=100)
    return pb.Pedalboard(
        [
            pb.HighpassFilter(40 + 10 * i),
            pb.PeakFilter(cutoff_frequency_hz=400 * i, gain_db=-2.0, q=1.2),
            pb.Compressor(threshold_db=-20, ratio=3),
            fx,
        ]
    )


def time_pedalboard_mastering(pb, audio) -> float:
    board = mastering_board(pb)
    n = audio.shape[1]
    start = time.perf_counter()
    for s in range(0, n, BLOCK):
        board(audio[:, s : s + BLOCK], SR, reset=False)
    return time.perf_counter() - start


def time_pedalboard_mix8(pb, np, audio) -> float:
    stems = [stem_board(pb, i) for i in range(1, 9)]
    bus = pb.Pedalboard([pb.Compressor(threshold_db=-12, ratio=1.5, attack_ms=30, release_ms=200), mastering_board(pb)])
    n = audio.shape[1]
    start = time.perf_counter()
    for s in range(0, n, BLOCK):
        block = audio[:, s : s + BLOCK]
        total = np.zeros_like(block)
        for stem in stems:
            total += stem(block, SR, reset=False)
        bus(total, SR, reset=False)
    return time.perf_counter() - start


def build_mixgraph() -> Path | None:
    exe = ROOT / "target" / "release" / ("mixgraph.exe" if os.name == "nt" else "mixgraph")
    print("building mixgraph (cargo build --release -p mixgraph) ...", flush=True)
    try:
        subprocess.run(["cargo", "build", "--release", "-p", "mixgraph"], cwd=ROOT, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"pedalboard_compare: cannot build mixgraph ({e})")
        return None
    return exe


def time_mixgraph(exe: Path, graph: str, inputs: list[str], out: Path) -> tuple[float, float]:
    """Best of three renders: (DSP-alone seconds as `render` reports them on
    its `graph` line, whole-process wall seconds)."""
    cmd = [str(exe), "render", "--graph", str(ROOT / graph), "--out", str(out), "--block-size", str(BLOCK)]
    for spec in inputs:
        cmd += ["--in", spec]
    best_graph, best_process = float("inf"), float("inf")
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        best_process = min(best_process, time.perf_counter() - start)
        line = next(line for line in done.stdout.splitlines() if line.startswith("graph "))
        best_graph = min(best_graph, float(line.split()[1]))
    return best_graph, best_process


def main() -> int:
    try:
        ensure_deps()
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"pedalboard_compare: cannot set up pedalboard ({e}); skipping")
        return 0
    import numpy as np
    import pedalboard as pb

    exe = build_mixgraph()
    if exe is None or not exe.exists():
        return 0
    pin_one_core()
    audio = make_audio(np)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "input.wav"
        out = Path(tmp) / "out.wav"
        write_wav(wav, audio, np)
        # Use exactly what mixgraph reads: the 16-bit WAV, back as float32.
        with wave.open(str(wav), "rb") as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2).T
        audio = (pcm.astype(np.float32) / 32768.0).copy(order="C")

        results = []
        mg = time_mixgraph(exe, "presets/bench/mastering_chain.json", [f"in={wav}"], out)
        pbt = min(time_pedalboard_mastering(pb, audio) for _ in range(3))
        results.append(("mastering", mg, pbt))
        mg = time_mixgraph(exe, "presets/bench/mix8.json", [f"s{i}={wav}" for i in range(1, 9)], out)
        pbt = min(time_pedalboard_mix8(pb, np, audio) for _ in range(2))
        results.append(("mix8", mg, pbt))

    print(f"\n{SECONDS:.0f} s of 48 kHz stereo, blocks of {BLOCK}, one core (best of runs):")
    print(
        f"{'chain':<10} {'mixgraph DSP s':>15} {'× rt':>8} {'pedalboard s':>13} {'× rt':>8} {'pb÷mg time':>11}"
        f" {'mixgraph process s':>19}"
    )
    for name, (mg, whole), pbt in results:
        print(
            f"{name:<10} {mg:>15.3f} {SECONDS / mg:>7.1f}× {pbt:>13.3f} {SECONDS / pbt:>7.1f}× {pbt / mg:>10.2f}×"
            f" {whole:>19.3f}"
        )
    print(
        "\npb÷mg > 1 means mixgraph is faster. 'mixgraph DSP' is the time inside the graph executor as"
        "\n`mixgraph render` reports it (its `graph` line), comparable to pedalboard's in-process processing"
        "\ntime; 'mixgraph process' is the whole render process (start-up, WAV decode, loudness and true-peak"
        "\nmetering of the output, 24-bit WAV encode)."
        "\ncaveats: pedalboard chains approximate mixgraph's (no oversampling in Distortion, no true-peak/lookahead"
        "\nin Limiter, biquad band splits instead of crossovers, a split compressor instead of a de-esser)"
        f"\n(pedalboard {pb.__version__})."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
