"""Benchmarks as data: a spec file says what to run, one runner runs it, one renderer
turns the finished runs into ``benchmarks/results/<spec>.{json,md}``.

    transferlab bench run domain_adaptation [--seeds 0 1 2] [--workers 2]
    transferlab bench render domain_adaptation
    transferlab bench all [--dry-run]

:mod:`.spec` reads ``benchmarks/specs/<name>.yaml``; :mod:`.runner` writes each finished
run at once under ``runs/bench/<spec>/`` with its provenance (:mod:`.provenance`), so a
stopped benchmark resumes where it was and several processes can share one; :mod:`.render`
writes the table with mean ± std over seeds and marks differences within the seeds' spread.
"""
