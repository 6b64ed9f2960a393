"""Evaluates launch $(eval) expressions exactly as launch's PythonExpression does (eval with math's
names in scope), one JSON list in on stdin, one JSON list of results out: {"ok": str(value)},
{"err": exception class} or {"big": true} for results too large for Tether to compute."""
import json
import math
import resource
import sys

resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
LOCALS = dict(vars(math))
LOCALS["math"] = math
out = []
for expr in json.load(sys.stdin):
    try:
        value = eval(expr, {}, dict(LOCALS))
        if (isinstance(value, str) and len(value) > 1 << 20) or (
            isinstance(value, int) and value.bit_length() > 4096
        ):
            out.append({"big": True})
        else:
            out.append({"ok": str(value)})
    except BaseException as err:  # noqa: B902 - every failure is a result here
        out.append({"err": type(err).__name__})
json.dump(out, sys.stdout)
