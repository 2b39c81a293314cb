#!/usr/bin/env python3
"""Loads the mixgraph VST3 in Spotify's pedalboard (a VST3 host its users run)
and checks that it processes audio and takes parameter changes.

Usage (from anywhere in a clone, after scripts/bundle-plugins.sh):
    python3 scripts/pedalboard_plugin_check.py [--editor] [PATH.vst3]

PATH defaults to target/bundled/mixgraph.vst3. With --editor it also opens
each plugin's editor window in pedalboard for 3 s (this needs an X display
with a window manager and an XSETTINGS daemon, which pedalboard's JUCE
requires; headless: apt-get install xvfb openbox xsettingsd, then
xvfb-run -a sh -c 'openbox & xsettingsd & sleep 1; python3 scripts/pedalboard_plugin_check.py --editor'). The script creates
target/pedalboard-venv and installs pedalboard and numpy there when they are
missing (network access to PyPI needed once). Exits 1 when a check fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "pedalboard-venv"


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import pedalboard, numpy, mido"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "pedalboard", "numpy", "mido"], check=True)
    return python


CHECK = r'''
import sys
import mido
import numpy as np
import pedalboard

path = sys.argv[1]
plugin = pedalboard.load_plugin(path, plugin_name="mixgraph")
names = list(plugin.parameters.keys())
print(f"loaded    {path}: {plugin.name!r}, effect={plugin.is_effect}, {len(names)} parameters")
print(f"          {', '.join(names)}")
assert plugin.is_effect and len(names) == 17, "an effect with 16 macros and bypass"

sr = 48_000
t = np.arange(2 * sr) / sr
x = np.stack([0.3 * np.sin(2 * np.pi * 220 * t), 0.3 * np.sin(2 * np.pi * 330 * t)]).astype(np.float32)
y = plugin(x, sr)
assert y.shape == x.shape and np.isfinite(y).all(), "finite stereo output"
before = float(np.sqrt(np.mean(y[:, sr:] ** 2)))
print(f"processed 2 s at {sr} Hz: RMS {20 * np.log10(before):.1f} dBFS, peak {20 * np.log10(np.abs(y).max()):.1f} dBFS")

name = next(n for n in names if n.startswith("output"))
setattr(plugin, name, 0.2)
y = plugin(x, sr)
after = float(np.sqrt(np.mean(y[:, sr:] ** 2)))
change = 20 * np.log10(after / before)
print(f"set       {name} = 0.2 (-18 dB on the output trim): RMS changed by {change:.1f} dB")
assert change < -12, "the parameter reaches the graph"

for rate in (44_100, 96_000):
    y = plugin(x, rate)
    assert np.isfinite(y).all(), f"finite at {rate} Hz"
    print(f"processed at {rate} Hz: finite")
synth = pedalboard.load_plugin(path, plugin_name="mixgraph Instrument")
assert synth.is_instrument, "the instrument plugin"
notes = [mido.Message("note_on", note=57, velocity=100, time=0.0), mido.Message("note_off", note=57, time=1.0)]
audio = synth(notes, duration=2.0, sample_rate=sr, num_channels=2)
spectrum = np.abs(np.fft.rfft(audio[0][: sr // 2] * np.hanning(sr // 2)))
f0 = np.argmax(spectrum[: 400 // 2 * 2]) * 2.0  # bins are 2 Hz wide for 0.5 s
print(f"played    A3 on {synth.name!r}: peak {20 * np.log10(np.abs(audio).max()):.1f} dBFS, strongest partial {f0:.0f} Hz")
assert np.isfinite(audio).all() and np.abs(audio).max() > 0.05, "the instrument sounds"
assert abs(f0 - 220) < 4, "at the note's pitch"
print("OK")
'''

EDITOR = r'''
import sys
import threading
import time
import pedalboard

path = sys.argv[1]
for name in ("mixgraph", "mixgraph Instrument"):
    plugin = pedalboard.load_plugin(path, plugin_name=name)
    close = threading.Event()
    threading.Timer(3.0, close.set).start()
    start = time.time()
    plugin.show_editor(close)
    print(f"editor    {name!r} was open for {time.time() - start:.1f} s and closed")
print("OK")
'''


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--editor"]
    editor = "--editor" in sys.argv[1:]
    path = Path(args[0]) if args else ROOT / "target" / "bundled" / "mixgraph.vst3"
    if not path.exists():
        print(f"error: {path} not found; run scripts/bundle-plugins.sh first", file=sys.stderr)
        return 1
    if editor and not os.environ.get("DISPLAY"):
        print("error: --editor needs an X display (see this script's usage)", file=sys.stderr)
        return 1
    python = ensure_venv()
    code = subprocess.run([str(python), "-c", CHECK, str(path)]).returncode
    if code == 0 and editor:
        code = subprocess.run([str(python), "-c", EDITOR, str(path)]).returncode
    return code


if __name__ == "__main__":
    sys.exit(main())
