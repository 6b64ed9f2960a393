"""`tether bench bus --ros`: reacher2 states and commands at 500 Hz from rclpy, in a process of its own.

Usage: python3 rclpy-500hz.py <seconds> <topic prefix>
Reliable, keep-last 1000 (the goal latched), 2 ms stamps; starts once the recorder has matched, then prints
{"published", "wall_s", "late_max_ms"} as JSON after every message is acknowledged.
"""
import json
import math
import sys
import time

import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray


def main() -> None:
    seconds, prefix = float(sys.argv[1]), sys.argv[2]
    rclpy.init()
    node = rclpy.create_node("bench_rclpy_robot")
    reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    states = node.create_publisher(JointState, f"{prefix}/joint_states", reliable)
    commands = node.create_publisher(Float64MultiArray, f"{prefix}/forward_effort_controller/commands", reliable)
    goal = node.create_publisher(Float64MultiArray, f"{prefix}/goal", latched)
    deadline = time.monotonic() + 30
    while states.get_subscription_count() == 0 or commands.get_subscription_count() == 0:
        if time.monotonic() > deadline:
            sys.exit("no recorder matched after 30 s")
        time.sleep(0.05)
    # Discovery runs both ways: let the recorder match this publisher too.
    time.sleep(1.0)
    goal.publish(Float64MultiArray(data=[0.1, -0.1]))
    total = round(seconds * 500)
    late_max = 0.0
    t0 = time.monotonic()
    for i in range(total):
        due = t0 + i * 0.002
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        else:
            late_max = max(late_max, now - due)
        m = JointState()
        m.header.stamp.sec, m.header.stamp.nanosec = divmod(i * 2_000_000, 1_000_000_000)
        m.name = ["shoulder_joint", "elbow_joint"]
        m.position = [math.sin(i * 0.002), 0.5]
        m.velocity = [math.cos(i * 0.002), 0.0]
        m.effort = [0.0, 0.0]
        states.publish(m)
        commands.publish(Float64MultiArray(data=[0.1, -0.1]))
    wall = time.monotonic() - t0
    states.wait_for_all_acked()
    commands.wait_for_all_acked()
    print(json.dumps({"published": total, "wall_s": wall, "late_max_ms": round(late_max * 1000, 1)}), flush=True)
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
