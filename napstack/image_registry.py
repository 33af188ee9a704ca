"""Which registry a container image comes from, read from its name as Docker reads it (no network): the warm pool's
pre-pull logs in to a private ECR registry first, and `check` warns of a registry it cannot log in to."""

from __future__ import annotations

import re

# <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], and ECR's dual-stack <account>.dkr-ecr.<region>.on.aws.
ECR_PRIVATE_HOST = re.compile(
    r"^\d{12}\.dkr[.-]ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.(?:amazonaws\.com(?:\.cn)?|on\.aws)$")
DOCKER_HUB = "docker.io"
# Registries whose public images pull without a login (Docker Hub under each of its names, ECR Public).
ANONYMOUS_REGISTRIES = frozenset({DOCKER_HUB, "index.docker.io", "registry-1.docker.io", "public.ecr.aws"})


def registry_host(image: str) -> str:
    """The registry host of `image`: its first path part when Docker takes it for a host (it holds a dot or a port,
    or is localhost), Docker Hub otherwise (`nginx`, `itzg/minecraft-server:java21`)."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.lower()
    return DOCKER_HUB


def ecr_region(host: str) -> str | None:
    """The region of a private ECR registry host (the login asks that region for a token), None for any other host."""
    found = ECR_PRIVATE_HOST.match(host)
    return found["region"] if found else None


def needs_credentials_we_lack(image: str) -> str | None:
    """The host of a registry that neither serves anonymous pulls we know of nor is ECR (which the instance role
    logs in to): a private image there cannot be pulled ahead. None when the pull needs nothing we lack."""
    host = registry_host(image)
    return None if host in ANONYMOUS_REGISTRIES or ecr_region(host) else host
