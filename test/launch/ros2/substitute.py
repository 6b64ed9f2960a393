"""Resolves launch attribute text as launch's frontend does (parse_substitution, then perform in a
LaunchContext). Reads {"vars": {...}, "env": {...}, "texts": [...]} on stdin; writes [{"ok": text} or
{"err": class}] in order."""
import json
import os
import sys

from launch import LaunchContext
from launch.frontend import Parser
from launch.frontend.parse_substitution import parse_substitution
from launch.utilities import perform_substitutions

Parser.load_launch_extensions()  # launch_ros's substitutions (find-pkg-share, ...) register here
import launch_ros.substitutions  # noqa: E402,F401 - and here, whichever way the frontend found them

request = json.load(sys.stdin)
os.environ.update(request.get('env', {}))
out = []
for text in request['texts']:
    context = LaunchContext()
    context.launch_configurations.update(request.get('vars', {}))
    try:
        out.append({'ok': perform_substitutions(context, parse_substitution(text))})
    except Exception as err:  # noqa: B902 - the error is the result
        out.append({'err': type(err).__name__})
json.dump(out, sys.stdout)
