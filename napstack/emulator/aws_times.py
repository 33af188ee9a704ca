"""How long AWS's own steps of a wake take, for a replay that models them (`Emulator(aws_times=True)`, `replay
--aws-times`); without it AWS answers at once and a replay shows napstack's own steps only.

The emulator cannot measure EC2: these figures are a model, each with its source. The README's "Fast start" section
prints them with what the emulator measures around them (napstack's steps, the watchdog's checks).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    seconds: int
    source: str


# Requested (SetDesiredCapacity) to InService, for a new instance: RunInstances to running, then the ECS-optimized
# AL2023 image's boot, napstack's user data (amazon-efs-utils installed, EFS mounted), the ECS agent started.
NEW_INSTANCE = Phase(90, "assumed: AWS publishes no launch time; pending to running takes tens of seconds, then the "
                         "boot and the user data's package install")
# Requested to InService for a stopped instance from the warm pool: started, booted, its per-boot script completes
# the launch hook at once (the user data does not run again).
POOLED_INSTANCE = Phase(30, "AWS at the warm pools' launch: pre-initialized instances \"can be launched to serve "
                            "traffic in as low as 30 seconds\" (InfoQ, 2021-05)")
# InService to the game's container started, the image on the disk: the agent registers, ECS places the task.
AGENT_AND_PLACEMENT = Phase(10, "assumed: the agent registers within seconds of its start; the hook sets the service "
                                "to 1 when the launch event arrives")
# The game's image pulled over the network (itzg/minecraft-server is several hundred MB): not needed from the pool,
# whose instance pulled it before it was stopped (ECS_IMAGE_PULL_BEHAVIOR=prefer-cached).
IMAGE_PULL = Phase(45, "assumed: a few hundred MB from Docker Hub at tens of MB/s")
# A refill: a new instance booted into the pool, its image pulled, then stopped.
REFILL = Phase(NEW_INSTANCE.seconds + IMAGE_PULL.seconds, "the two figures above")


def launch_seconds(pooled: bool) -> int:
    return (POOLED_INSTANCE if pooled else NEW_INSTANCE).seconds


def container_seconds(pooled: bool) -> int:
    """InService to the game's container running: the pull is saved when the image is on the disk."""
    return AGENT_AND_PLACEMENT.seconds + (0 if pooled else IMAGE_PULL.seconds)
