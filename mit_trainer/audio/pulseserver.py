"""A private PulseAudio server with null sinks: real audio paths on machines without a sound card.

Used by the end-to-end tests, the benchmark and ``mit-trainer audio test --private-pulse``. The server
runs as a child process with its own runtime folder and socket, so it never touches the user's sound
server. Sinks ``speaker`` (the trainer plays into it) and ``patient`` (a test plays the patient's voice
into it); the default source is ``patient.monitor`` (the trainer's "microphone"). A silent low-latency
keep-alive stream is played into each sink: an idle null sink renders in 2 s blocks, which would delay a
new recording stream by up to 2 s, unlike real hardware.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

SINKS = ("speaker", "patient")
ENV_KEYS = ("PULSE_SERVER", "PULSE_RUNTIME_PATH", "XDG_RUNTIME_DIR", "PULSE_STATE_PATH", "PULSE_CLIENTCONFIG")


class PulseServerError(RuntimeError):
    pass


def pulseaudio_available() -> bool:
    return shutil.which("pulseaudio") is not None and shutil.which("pactl") is not None


class PrivatePulseServer:
    """Start with :meth:`start` (or as a context manager); :attr:`env` is what clients need."""

    def __init__(self, *, default_source: str = "patient.monitor", keep_alive: bool = True) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="mit-pulse-"))
        self.socket = self._dir / "native"
        self.default_source = default_source
        self._keep_alive = keep_alive
        self._proc: subprocess.Popen[bytes] | None = None
        self._keepers: list[subprocess.Popen[bytes]] = []
        client_conf = self._dir / "client.conf"
        client_conf.write_text("autospawn = no\n", encoding="utf-8")
        self.env = {
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_RUNTIME_PATH": str(self._dir / "runtime"),
            "XDG_RUNTIME_DIR": str(self._dir),
            "PULSE_STATE_PATH": str(self._dir / "state"),
            "PULSE_CLIENTCONFIG": str(client_conf),
        }

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env["HOME"] = str(self._dir)
        return env

    def pactl(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            ["pactl", *args], env=self._child_env(), capture_output=True, text=True, timeout=10, check=False
        )
        if check and out.returncode != 0:
            raise PulseServerError(f"pactl {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout

    def start(self, timeout_s: float = 10.0) -> PrivatePulseServer:
        if not pulseaudio_available():
            raise PulseServerError("pulseaudio/pactl are not installed")
        cmd = [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--use-pid-file=false",
            "--system=false",
            "--high-priority=yes",
            "--realtime=yes",
            "-n",
            f"--load=module-native-protocol-unix socket={self.socket} auth-anonymous=1",
            *(f"--load=module-null-sink sink_name={s}" for s in SINKS),
            "--log-target=stderr",
            "--log-level=error",
        ]
        log = (self._dir / "server.log").open("wb")
        self._proc = subprocess.Popen(cmd, env=self._child_env(), stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                raise PulseServerError("pulseaudio exited: " + (self._dir / "server.log").read_text()[-500:])
            if self.socket.exists() and self.pactl("info", check=False):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise PulseServerError("pulseaudio did not start in time")
            time.sleep(0.05)
        self.pactl("set-default-sink", "speaker")
        self.pactl("set-default-source", self.default_source)
        if self._keep_alive:
            for sink in SINKS:
                self.start_keep_alive(sink)
        return self

    def start_keep_alive(self, sink: str) -> None:
        with open("/dev/zero", "rb") as zeros:
            self._keepers.append(
                subprocess.Popen(
                    [
                        "pacat",
                        "--playback",
                        f"--device={sink}",
                        "--latency-msec=20",
                        "--raw",
                        "--format=s16le",
                    ],
                    env=self._child_env(),
                    stdin=zeros,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    def module_id(self, sink_name: str) -> str:
        for line in self.pactl("list", "short", "modules").splitlines():
            if f"sink_name={sink_name}" in line:
                return line.split()[0]
        raise PulseServerError(f"no module for sink {sink_name}")

    def stop(self) -> None:
        for p in self._keepers:
            p.kill()
            p.wait(5)
        self._keepers.clear()
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(5)
            self._proc = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PrivatePulseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
