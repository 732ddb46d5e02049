"""National-scale benchmark: a deterministic generator of upstream-format input at national
size (`benchmarks.national`) and the command that times and sizes every stage of a build
against it (`python -m benchmarks.run`). Results and targets are in BENCHMARKS.md."""
