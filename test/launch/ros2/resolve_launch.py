"""What ROS 2's own launch resolves for launch XML files, as JSON (the reference for tether launch --print).

Reads {"prefix": extra ament prefix, "files": [{"file": path, "args": {name: value}}]} on stdin. Each file is included the way
`ros2 launch` includes it (IncludeLaunchDescription with the command-line arguments), parsed by
launch.frontend (launch_xml), and visited in a LaunchContext: every action runs except processes,
which are resolved instead (launch_ros computes each node's name, namespace, parameters and remaps).
Writes [{"nodes": [...]} or {"error": message}] in the same order.
"""
import json
import math
import os
import sys

from launch import LaunchContext
from launch.actions import ExecuteLocal, IncludeLaunchDescription, OpaqueFunction, TimerAction
from launch.launch_description_sources import FrontendLaunchDescriptionSource
from launch.utilities import perform_substitutions
from launch.utilities.type_utils import perform_typed_substitution
from launch_ros.actions import ComposableNodeContainer, LoadComposableNodes, Node
from launch_ros.actions.load_composable_nodes import get_composable_node_load_request
from launch_ros.utilities import evaluate_parameters, to_parameters_list
from launch_ros.utilities.normalize_parameters import normalize_parameter_dict
from launch_ros.parameter_descriptions import ParameterFile


def jsonable(value):
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return {'nonfinite': repr(value)}  # JSON has no inf or nan
    return value


def global_parameters(context):
    out = []
    for param in context.launch_configurations.get('global_params', None) or []:
        if isinstance(param, tuple):
            out.append(normalize_parameter_dict({param[0]: param[1]}))
        else:
            out.append(ParameterFile(param))
    return out


def parameters_of(context, node_name, namespace, own):
    params = global_parameters(context) + list(own or [])
    if not params:
        return {}
    resolved = to_parameters_list(
        context, node_name or '', namespace or '/', evaluate_parameters(context, params))
    return {p.name: jsonable(p.value) for p in resolved}


def resolve_node(node, context, out):
    node._perform_substitutions(context)
    given_name = node._Node__node_name is not None
    namespace = node.expanded_node_namespace
    name = node._Node__expanded_node_name if given_name else None
    out.append({
        'kind': 'container' if isinstance(node, ComposableNodeContainer) else 'node',
        'package': perform_substitutions(context, node.node_package) if node.node_package else None,
        'executable': perform_substitutions(context, node.node_executable),
        'name': name,
        'namespace': namespace,
        'parameters': parameters_of(
            context, name, namespace if namespace.startswith('/') else '/', node._Node__parameters),
        'remaps': [list(r) for r in (node.expanded_remapping_rules or [])],
        'args': [perform_substitutions(context, a) for a in node._Node__arguments or []],
    })
    if isinstance(node, ComposableNodeContainer):
        target = namespace.rstrip('/') + '/' + name
        for description in node._ComposableNodeContainer__composable_node_descriptions or []:
            resolve_composable(description, target, context, out)


def resolve_composable(description, target, context, out):
    request = get_composable_node_load_request(description, context)
    if request is None:
        return
    out.append({
        'kind': 'composable',
        'container': target,
        'package': request.package_name,
        'plugin': request.plugin_name,
        'name': request.node_name or None,
        'namespace': request.node_namespace or '/',
        'parameters': {
            p.name: jsonable(parameter_value(p)) for p in request.parameters
        },
        'remaps': [r.split(':=', 1) for r in request.remap_rules],
    })


def parameter_value(msg):
    from rclpy.parameter import parameter_value_to_python
    return parameter_value_to_python(msg.value)


def visit(entity, context, out):
    condition = getattr(entity, 'condition', None)
    if isinstance(entity, (Node, LoadComposableNodes, ExecuteLocal, TimerAction)):
        if condition is not None and not condition.evaluate(context):
            return
    if isinstance(entity, Node):
        resolve_node(entity, context, out)
        return
    if isinstance(entity, LoadComposableNodes):
        target = perform_substitutions(context, entity._LoadComposableNodes__target_container)
        for description in entity._LoadComposableNodes__composable_node_descriptions:
            resolve_composable(description, target, context, out)
        return
    if isinstance(entity, ExecuteLocal):
        return
    if isinstance(entity, TimerAction):
        # It fires after the launch description has been visited, in the context as it is then.
        period = perform_typed_substitution(context, entity._TimerAction__period, float)
        entity._TimerAction__context_locals = dict(context.get_locals_as_dict())
        PENDING.append((NOW[0] + period, entity))
        return
    if isinstance(entity, OpaqueFunction):
        return
    for sub in entity.visit(context) or []:
        visit(sub, context, out)


PENDING = []  # (fire time, TimerAction)
NOW = [0.0]  # the time of the timer firing now


def resolve(file, args):
    context = LaunchContext()
    out = []
    include = IncludeLaunchDescription(
        FrontendLaunchDescriptionSource(file), launch_arguments=list(args.items()))
    visit(include, context, out)
    PENDING.sort(key=lambda p: p[0])
    while PENDING:
        NOW[0], timer = PENDING.pop(0)
        context.extend_locals(timer._TimerAction__context_locals)
        for action in timer.actions:
            visit(action, context, out)
        PENDING.sort(key=lambda p: p[0])
    return out


def main():
    # Launch logs (<log>, warnings) go to stdout; keep stdout for the JSON answer only.
    answer = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    request = json.load(sys.stdin)
    if request.get('prefix'):  # an extra ament prefix (the test installs package tether there)
        os.environ['AMENT_PREFIX_PATH'] = request['prefix'] + os.pathsep + os.environ.get('AMENT_PREFIX_PATH', '')
    results = []
    for item in request['files']:
        saved = dict(os.environ)  # set_env and friends change os.environ; each file starts clean
        try:
            results.append({'nodes': resolve(item['file'], item.get('args', {}))})
        except Exception as err:  # noqa: B902 - the error is the result
            results.append({'error': f'{type(err).__name__}: {err}'})
        PENDING.clear()
        NOW[0] = 0.0
        os.environ.clear()
        os.environ.update(saved)
    json.dump(results, answer)
    answer.flush()


if __name__ == '__main__':
    main()
