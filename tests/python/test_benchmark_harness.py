"""The benchmark measures each method's own process (benchmarks/run.py, `measured`).

Not a timed test: it checks what the harness reports, never how fast anything runs. A process
started straight from a large parent reports the parent's peak memory as its own (Linux keeps the
high-water mark across vfork and exec); the benchmark holds the day-one tables and every method's
rows, so its methods must start through the small measuring process."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def benchmark_module():
    spec = importlib.util.spec_from_file_location("benchmark_run", PROJECT_DIR / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_method_reports_its_own_peak_memory_not_the_benchmarks(tmp_path: Path) -> None:
    run = benchmark_module()
    held = bytearray(600 * 1024 * 1024)  # the benchmark holding 600 MiB of tables and rows
    held[::4096] = b"\x01" * len(held[::4096])  # touched, so it is resident

    _, _, small_peak = run.measured(["true"], tmp_path / "true.log")
    allocate = "block = bytearray(200 * 1024 * 1024); block[::4096] = b'\\x01' * len(block[::4096])"
    wall, cpu, large_peak = run.measured([sys.executable, "-c", allocate], tmp_path / "python.log")

    assert small_peak < 100, f"`true` reported {small_peak:.0f} MiB: the benchmark's own memory"
    assert 200 <= large_peak < 400, f"a 200 MiB allocation reported {large_peak:.0f} MiB"
    assert wall > 0 and cpu > 0
    del held


def test_a_failing_method_stops_the_benchmark_naming_its_log(tmp_path: Path) -> None:
    run = benchmark_module()
    try:
        run.measured(["false"], tmp_path / "false.log")
    except RuntimeError as error:
        assert "false.log" in str(error)
    else:
        raise AssertionError("a failing method was measured as if it had worked")
