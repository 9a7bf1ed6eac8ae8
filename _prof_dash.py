import cProfile, pstats, io, sys, time
pr = cProfile.Profile(); pr.enable()
t = time.perf_counter()
try:
    exec(compile(open("/work/main/dashboard.py").read(), "/work/main/dashboard.py", "exec"), {"__name__": "__main__", "__file__": "/work/main/dashboard.py"})
finally:
    pr.disable()
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumtime").print_stats(70)
    open("/tmp/prof/dash_prof.txt", "a").write(f"=== run {time.perf_counter()-t:.3f}\n" + s.getvalue())
