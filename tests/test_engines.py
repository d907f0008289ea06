"""Where tasks run (capra.engines): the same results on every engine, and a clear error
where local processes cannot start."""

import subprocess
import sys

import pytest

from capra.engines import map_tasks
from capra.errors import ArgumentError


@pytest.mark.parametrize("engine", ["serial", "threads"])
def test_results_come_back_in_task_order(engine):
    done = []
    out = map_tasks(abs, [-3, 1, -2], engine=engine, workers=2,
                    on_done=lambda i, r: done.append(i))
    assert out == [3, 1, 2] and sorted(done) == [0, 1, 2]
    # results handed over only, not kept (the herd copies each batch in as it comes)
    got = {}
    out = map_tasks(abs, [-3, 1, -2], engine=engine, workers=2, keep=False,
                    on_done=got.__setitem__)
    assert out == [None] * 3 and got == {0: 3, 1: 1, 2: 2}


def test_an_unknown_engine_is_refused_by_name():
    with pytest.raises(ArgumentError, match="engine: unknown engine 'gpu'"):
        map_tasks(abs, [1], engine="gpu")


def test_processes_from_a_script_without_a_main_guard_say_what_to_do(tmp_path):
    # each local process starts Python afresh and runs the script's top level again: a
    # script without `if __name__ == "__main__":` stops them; the error says so
    script = tmp_path / "no_guard.py"
    script.write_text("from capra.engines import map_tasks\n"
                      "map_tasks(abs, [-1, -2], engine='processes', workers=2)\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, check=False)
    assert run.returncode != 0
    assert "CapraError" in run.stderr
    assert 'if __name__ == "__main__":' in run.stderr and "'threads'" in run.stderr
    assert "BrokenProcessPool" in run.stderr          # the cause, chained below ours
    guarded = tmp_path / "guarded.py"
    guarded.write_text("from capra.engines import map_tasks\n"
                       "if __name__ == '__main__':\n"
                       "    print(map_tasks(abs, [-1, -2], engine='processes', workers=2))\n")
    run = subprocess.run([sys.executable, str(guarded)], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "[1, 2]", run.stderr
